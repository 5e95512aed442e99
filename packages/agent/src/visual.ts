import { createRenderer, createRng, sampleVisualDomain, applyVisualDomain, type Scene, type Texture, type VisualDomain } from '@twist/envs';
import { loadBackgroundFolder } from '@twist/envs/node';
import type { Device } from '@twist/kernels';

/**
 * What the camera sees: `none` (the task's own look), `train` / `heldout` (the DR distributions of
 * @twist/envs), or a folder of PNG backgrounds (held-out colours and lights, those images as backgrounds).
 */
export type DomainSpec = 'none' | 'train' | 'heldout' | { folder: string };

export function parseDomain(s: string): DomainSpec {
  if (s === 'none' || s === 'train' || s === 'heldout') return s;
  if (s.startsWith('folder:')) return { folder: s.slice('folder:'.length) };
  throw new Error(`unknown visual domain '${s}'; valid: none, train, heldout, folder:<dir of PNGs>`);
}

export const domainName = (d: DomainSpec): string => (typeof d === 'string' ? d : `folder:${d.folder}`);

/** A 32-bit mix of integers, so every (seed, episode, env, step) gets its own independent DR draw. */
function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ Math.floor(x / 2 ** 32), 0x01000193) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/**
 * The RNG seed of the visual domain that env `env` is drawn with at step `step` of episode `episode` in a VisualDR
 * of this seed (step 0 when the domain is drawn once per episode, as in evaluations, where env i plays episode i):
 * sampleVisualDomain(createRng(domainSeed(...)), split) is that domain.
 */
export const domainSeed = (seed: number, episode: number, env: number, step: number): number => mix(seed, episode, env, step);

/**
 * Visual domains of N environments, and the batch renderer that applies them. `perStep` re-draws each env's
 * domain every step (training with DR, and TWIST's matched collection); otherwise a domain is drawn once at
 * episode start (the paper's evaluation). Draws are a pure function of (seed, episode, env, step), so a
 * resumed run renders exactly what the uninterrupted run would have.
 */
export class VisualDR {
  readonly #render: (scenes: readonly Scene[]) => Promise<Uint8Array[]>;
  readonly #backgrounds: readonly Texture[] | undefined;
  readonly #domains: (VisualDomain | null)[];
  readonly #episode: number[];
  readonly #step: number[];

  constructor(
    device: Device,
    readonly domain: DomainSpec,
    readonly num: number,
    readonly perStep: boolean,
    readonly seed: number,
    readonly imageSize: number,
  ) {
    this.#render = createRenderer(device, { width: imageSize, height: imageSize });
    this.#backgrounds = typeof domain === 'object' ? loadBackgroundFolder(domain.folder) : undefined;
    this.#domains = new Array(num).fill(null);
    this.#episode = new Array(num).fill(0);
    this.#step = new Array(num).fill(0);
  }

  #draw(i: number): VisualDomain | null {
    if (this.domain === 'none') return null;
    const rng = createRng(domainSeed(this.seed, this.#episode[i], i, this.perStep ? this.#step[i] : 0));
    const split = this.domain === 'train' ? 'train' : 'heldout';
    return sampleVisualDomain(rng, split, this.#backgrounds ? { backgrounds: this.#backgrounds } : {});
  }

  /** Env i starts episode `episode` (a global episode index): its domain is drawn for it. */
  startEpisode(i: number, episode: number): void {
    this.#episode[i] = episode;
    this.#step[i] = 0;
    this.#domains[i] = this.#draw(i);
  }

  /**
   * The background env i is rendered with now: its texture family ('image' for a folder's PNG), or null in the
   * domain 'none'. Evaluations report it per episode, so returns can be broken down by background.
   */
  backgroundOf(i: number): string | null {
    return this.#domains[i]?.background.family ?? null;
  }

  /** Advance env i by one step (re-draws when perStep). */
  advance(i: number): void {
    this.#step[i]++;
    if (this.perStep) this.#domains[i] = this.#draw(i);
  }

  /** Seconds spent rendering (the cost of collection: the scene upload, the dispatch and the readback). */
  renderSeconds = 0;

  /** Set before a VecEnv.resetSome: the envs whose scenes the next render call gets. */
  nextIndices: readonly number[] | null = null;

  /** VecEnv's renderBatch: scenes in env order (all envs, or the subset in nextIndices). */
  readonly render = (scenes: Scene[]): Promise<Uint8Array[]> => {
    const ids = this.nextIndices ?? scenes.map((_, k) => k);
    this.nextIndices = null;
    const t0 = performance.now();
    return this.#render(scenes.map((s, k) => (this.#domains[ids[k]] ? applyVisualDomain(s, this.#domains[ids[k]]!) : s))).finally(() => {
      this.renderSeconds += (performance.now() - t0) / 1000;
    });
  };
}
