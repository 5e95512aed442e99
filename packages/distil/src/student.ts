import { makeConfig, type DeepPartial, type PresetName, type WorldModel, type WorldModelConfig } from '@twist/rssm';
import type { Var } from '@twist/autograd';

/**
 * The student's world-model config: the rssm image model (modality 'image') of the preset, with exactly the
 * teacher's RSSM sizes (deter, hidden, stochastic variables and classes, unimix, activation), so that the
 * student's latents live in the teacher's space and Eq. 3 / 4 compare like with like, and the teacher's actor
 * can read the student's features. Image size from the teacher's collection. Overriding the RSSM is refused.
 */
export function makeStudentConfig(
  teacher: WorldModelConfig,
  opts: { preset: string; imageSize: number; seed: number; overrides?: DeepPartial<WorldModelConfig> },
): WorldModelConfig {
  const o = opts.overrides ?? {};
  if (o.rssm) {
    for (const [k, v] of Object.entries(o.rssm)) {
      if (v !== undefined && v !== (teacher.rssm as unknown as Record<string, unknown>)[k]) {
        throw new Error(`student config: rssm.${k} must equal the teacher's (${JSON.stringify((teacher.rssm as unknown as Record<string, unknown>)[k])}) so that the latents are comparable, got ${JSON.stringify(v)}`);
      }
    }
  }
  if (o.modality !== undefined && o.modality !== 'image') throw new Error(`student config: modality must be 'image' (the student reads camera images), got '${o.modality}'`);
  for (const k of ['actionSize', 'stateSize'] as const) {
    if (o[k] !== undefined && o[k] !== teacher[k]) throw new Error(`student config: ${k} must equal the teacher's (${teacher[k]}), got ${o[k]}`);
  }
  return makeConfig(opts.preset as PresetName, {
    ...o,
    modality: 'image',
    imageSize: opts.imageSize,
    stateSize: teacher.stateSize,
    actionSize: teacher.actionSize,
    rssm: { ...teacher.rssm },
    seed: opts.seed,
  });
}

/**
 * The parameters distillation trains: the student's encoder and RSSM (sequence model, prior and posterior),
 * plus its image decoder when a reconstruction term is on and its state decoder when a state term is. The
 * reward head (and the decoders otherwise) is unused.
 */
export function studentTrainables(student: WorldModel, withDecoder = false, withStateDecoder = false): Var[] {
  if (withStateDecoder && !student.stateDecoder) throw new Error('studentTrainables: the student has no state decoder (config stateRecon: false)');
  return [
    ...student.encoder.parameters(),
    ...student.rssm.parameters(),
    ...(withDecoder ? student.decoder.parameters() : []),
    ...(withStateDecoder ? student.stateDecoder!.parameters() : []),
  ];
}
