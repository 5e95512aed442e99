import * as A from '@twist/autograd';

/**
 * A checkpoint directory (@twist/autograd/node's saveCheckpoint) read from bytes instead of the file system,
 * for browsers: the text of checkpoint.json and the bytes of the weights file it names. The checks are
 * loadCheckpoint's, in the same order: manifest format, weights size and CRC-32, per-tensor CRC-32 and
 * finiteness, then names, shapes and dtypes against the model; nothing is written unless all pass.
 */
export interface DeployedFiles {
  /** checkpoint.json: its text, or the parsed object. */
  checkpoint: string | object;
  /** The weights file that checkpoint.json names (its `weights.file`), as fetched: ArrayBuffer or bytes. */
  weights: ArrayBuffer | Uint8Array;
  /** Names the source in errors (a URL, a directory). Default 'deployed agent'. */
  name?: string;
}

const CHECKPOINT_FORMAT = 'twist-ts/checkpoint/2';

export interface Manifest {
  format: string;
  weights: { file: string; bytes: number; crc32: string };
  config: unknown;
  info?: Record<string, unknown>;
}

export const toBytes = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

/** Parses and checks checkpoint.json (format and weights entry); `what` names it in errors. */
export function parseManifest(checkpoint: string | object, what: string): Manifest {
  let m: any = checkpoint;
  if (typeof checkpoint === 'string') {
    try {
      m = JSON.parse(checkpoint);
    } catch (e) {
      throw new Error(`DeployedAgent.fromFiles: ${what}: checkpoint.json is not valid JSON (${checkpoint.length} characters): ${(e as Error).message}`);
    }
  }
  if (m?.format !== CHECKPOINT_FORMAT) throw new Error(`DeployedAgent.fromFiles: ${what}: checkpoint.json has format ${JSON.stringify(m?.format)}, expected '${CHECKPOINT_FORMAT}'`);
  const w = m.weights;
  if (typeof w?.file !== 'string' || !Number.isSafeInteger(w.bytes) || typeof w.crc32 !== 'string') {
    throw new Error(`DeployedAgent.fromFiles: ${what}: checkpoint.json has an invalid 'weights' entry ${JSON.stringify(w)} (expected {file, bytes, crc32})`);
  }
  return m as Manifest;
}

/** Checks the weights against the manifest and the model's parts, then writes them; returns the manifest's info. */
export function loadCheckpointBytes(manifest: Manifest, bytes: Uint8Array, parts: A.CheckpointParts, what: string): Record<string, unknown> {
  const where = `${what}/${manifest.weights.file}`;
  const crc = A.crc32(bytes).toString(16).padStart(8, '0');
  if (bytes.byteLength !== manifest.weights.bytes || crc !== manifest.weights.crc32) {
    throw new Error(
      `DeployedAgent.fromFiles: ${where} is ${bytes.byteLength} bytes with CRC-32 ${crc}, but checkpoint.json records ` +
        `${manifest.weights.bytes} bytes with CRC-32 ${manifest.weights.crc32} (corrupted, or not the weights it names)`,
    );
  }
  const { tensors } = A.decodeSafetensors(bytes, where, { requireChecksums: true });
  const want = new Map<string, A.Var>();
  for (const [mn, m] of Object.entries(parts.modules)) for (const [pn, v] of m.namedParameters()) want.set(`${mn}/${pn}`, v);
  const problems: string[] = [];
  for (const [name, { value: t }] of want) {
    const got = tensors.get(name);
    if (!got) problems.push(`missing '${name}' (expected ${t.dtype}[${t.shape}])`);
    else if (got.dtype !== t.dtype || got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`'${name}': file has ${got.dtype}[${got.shape}], model has ${t.dtype}[${t.shape}]`);
    }
  }
  for (const name of tensors.keys()) if (!want.has(name)) problems.push(`unexpected '${name}' in the file`);
  if (problems.length) throw new Error(`DeployedAgent.fromFiles: ${where} does not match the model:\n  ${problems.join('\n  ')}`);
  for (const [name, v] of want) v.value.write(tensors.get(name)!.data);
  return manifest.info ?? {};
}
