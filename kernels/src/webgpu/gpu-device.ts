import { allocArray, type TypedArray } from '../core/dtype.js';
import { getKernel, type Device, type DeviceLimits, type DeviceStats, type WgslKernel } from '../core/registry.js';
import { checkWrite, storageBytes, type Storage, type Tensor } from '../core/tensor.js';
import { resolveWgslIncludes } from '../core/wgsl-include.js';
import { BufferPool, sizeClass } from './pool.js';
import { UniformArena } from './uniforms.js';

/**
 * The binding of a tensor's storage: the whole buffer, or for a window (viewAt) its range, rounded up to
 * whole 16-byte words (vec4 reads) within the buffer.
 */
function bufferBinding(s: Storage): GPUBufferBinding {
  const buffer = s.handle as GPUBuffer;
  if (!s.parent) return { buffer };
  return { buffer, offset: s.offset, size: Math.min(Math.ceil(s.bytes / 16) * 16, buffer.size - s.offset) };
}

/**
 * A kernel may not write a buffer that another of its bindings also uses (WebGPU's writable-storage rule is per
 * buffer, not per range). Windows of one buffer make that possible: say which, instead of a late validation error.
 */
function checkWindows(name: string, inputs: Tensor[], outputs: Tensor[]): void {
  const all = [...inputs, ...outputs];
  outputs.forEach((t, j) => {
    const h = t.storage(name).handle;
    all.forEach((u, i) => {
      if (i !== inputs.length + j && u.storage(name).handle === h) {
        throw new Error(`${name}: output ${j} shares its device buffer with binding ${i} (windows of one buffer, see viewAt); a kernel may not write a buffer it also binds elsewhere`);
      }
    });
  });
}

/** Dispatches recorded before an automatic submit (keeps command buffers and bind-group memory bounded). */
const BATCH_LIMIT = 1024;
/** Bind groups kept for reuse (FIFO eviction). */
const BIND_GROUP_CACHE = 8192;

/**
 * One kernel's share of a profile (GpuDevice.startProfile / stopProfile): GPU time between the timestamps the
 * device wrote at the start and end of each of its dispatches.
 */
export interface KernelProfile {
  /**
   * The kernel's registered name; with byGrid, followed by its dispatch grid and the kernel's own description of
   * the shape where it has one (WgslKernel.describe), e.g. `matmul [4,100,1] 800x1024x256 ...`.
   */
  name: string;
  dispatches: number;
  /** Total GPU milliseconds of these dispatches. */
  ms: number;
  /** Share of the profile's total GPU time, 0..1. */
  share: number;
}

/** Timestamp pairs of one submitted batch, resolved into a readable buffer. */
interface ProfiledBatch {
  resolved: GPUBuffer;
  read: GPUBuffer;
  names: string[];
}

interface Layout {
  sig: string;
  bgl: GPUBindGroupLayout;
  pl: GPUPipelineLayout;
}

/**
 * The WebGPU backend. Kernels are recorded into one compute pass of one command encoder and submitted only
 * when data must come back (read/sync), on flush(), or every BATCH_LIMIT dispatches; nothing waits per op.
 *
 * Buffer reuse is safe without fences: commands of one batch run in recording order (Dawn inserts the
 * barriers), so a kernel output may reuse a buffer freed earlier in the same batch; uploads (queue writes run
 * before the unsubmitted batch) take only buffers freed before the last submit.
 */
export class GpuDevice implements Device {
  readonly backend = 'webgpu' as const;
  readonly label: string;
  readonly #pool = new BufferPool();
  readonly #readPool = new BufferPool();
  /** Buffers freed while a batch is being recorded: reusable by kernel outputs now, by uploads after submit. */
  readonly #recent = new BufferPool();
  readonly #uniforms: UniformArena;
  readonly #pipelines = new Map<WgslKernel, Map<string, GPUComputePipeline>>();
  #pipelineCount = 0;
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #layouts = new Map<string, Layout>();
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  /** Submitted batches, oldest first, until seen finished (for throttle). */
  #inflight: { done: boolean; promise: Promise<void> }[] = [];
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  #nextBufferId = 1;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #batch = 0;
  #errors: string[] = [];
  #checks: Promise<void>[] = [];
  #destroyed = false;
  /** While profiling: the open batch's query set and dispatch names, and the submitted batches not yet read. */
  #profile: { byGrid: boolean; set: GPUQuerySet | null; names: string[]; done: ProfiledBatch[]; sets: GPUQuerySet[] } | null = null;
  readonly #stats = { live: 0, liveBytes: 0, hits: 0, allocations: 0, dispatches: 0, submits: 0, readbacks: 0 };

  /**
   * `instance` is held only to keep it alive: Dawn's Node bindings schedule event processing on the instance,
   * and if V8 collects it while the device lives the process crashes in InstanceBase::ProcessEvents.
   */
  constructor(
    readonly instance: GPU,
    readonly gpu: GPUDevice,
    readonly adapterInfo: { vendor: string; architecture: string; device: string; description: string },
  ) {
    const name = adapterInfo.description || adapterInfo.device || adapterInfo.vendor || 'unknown adapter';
    this.label = `webgpu: ${name}`;
    this.#uniforms = new UniformArena(gpu);
    gpu.addEventListener?.('uncapturederror', (ev: any) => {
      this.#errors.push(String(ev.error?.message ?? ev.error ?? ev));
    });
  }

  allocate(bytes: number, init?: TypedArray): GPUBuffer {
    const max = this.gpu.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new Error(`allocate: a tensor of ${bytes} bytes exceeds this adapter's maxStorageBufferBindingSize of ${max} bytes`);
    }
    const cls = sizeClass(bytes);
    // A buffer freed in the current batch may still be read by recorded commands. Kernel outputs can reuse it
    // (later commands run after earlier ones, and Dawn orders the accesses), but an upload cannot: queue
    // writes execute before the not-yet-submitted batch. So uploads take only settled buffers.
    let buf = init ? undefined : this.#recent.take(cls);
    buf ??= this.#pool.take(cls);
    this.#stats.allocations++;
    if (buf) this.#stats.hits++;
    else {
      buf = this.gpu.createBuffer({
        size: cls,
        // UNIFORM too: a kernel may bind a window of any tensor as a uniform buffer (WgslKernel.uniformInputs)
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    this.#stats.live++;
    this.#stats.liveBytes += bytes;
    if (init) {
      // writeBuffer needs a multiple of 4 bytes; u8 data may not be.
      let src = new Uint8Array(init.buffer as ArrayBuffer, init.byteOffset, init.byteLength);
      if (src.byteLength % 4 !== 0) {
        const padded = new Uint8Array(Math.ceil(src.byteLength / 4) * 4);
        padded.set(src);
        src = padded;
      }
      if (src.byteLength > 0) this.gpu.queue.writeBuffer(buf, 0, src);
    }
    return buf;
  }

  release(handle: unknown, bytes: number): void {
    const buf = handle as GPUBuffer;
    this.#stats.live--;
    this.#stats.liveBytes -= bytes;
    if (this.#destroyed) return;
    if (this.#encoder) this.#recent.give(buf.size, buf);
    else this.#pool.give(buf.size, buf);
  }

  run(name: string, inputs: Tensor[], outputs: Tensor[], params: unknown): void {
    const k = getKernel(name, 'webgpu');
    const grid = k.dispatch(params);
    const [x, y = 1, z = 1] = grid;
    const maxDim = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    for (const d of [x, y, z]) {
      if (!Number.isInteger(d) || d < 0 || d > maxDim) {
        throw new Error(`${name}: dispatch grid [${x},${y},${z}] is invalid (each dim must be an integer in 0..${maxDim})`);
      }
    }
    if (x * y * z === 0) return; // empty tensors: nothing to compute
    const fields = k.uniforms?.(params);
    const uniform = fields !== undefined;
    const ubos = k.uniformInputs?.(params) ?? 0;
    if (ubos) this.#checkUniformInputs(name, inputs, ubos);
    const layout = this.#layout(inputs.length, outputs.length, uniform, ubos);
    const pipeline = this.#pipeline(k, params, inputs.length, outputs.length, uniform, ubos);
    // Bind groups are cached by the identity of the buffers they bind: a training step reuses the same pooled
    // buffers in the same order, and creating a bind group costs far more than the rest of a dispatch.
    // Storage is bound whole (no shader uses arrayLength); the uniform slot is a dynamic offset.
    const slot = uniform ? this.#uniforms.push(fields) : null;
    let key = layout.sig;
    let windows = false;
    // a window binds its byte range, so its size is part of the key as much as its offset (a pooled buffer comes
    // back under other tensors: the same offset with another size must not reuse a bind group of the old size)
    for (const t of inputs) {
      const s = t.storage(name);
      key += `,${this.#idOf(s.handle as GPUBuffer)}`;
      if (s.parent) (key += `@${s.offset}+${s.bytes}`), (windows = true);
    }
    for (const t of outputs) {
      const s = t.storage(name);
      key += `,${this.#idOf(s.handle as GPUBuffer)}`;
      if (s.parent) (key += `@${s.offset}+${s.bytes}`), (windows = true);
    }
    if (windows) checkWindows(name, inputs, outputs);
    if (slot) key += `,${this.#idOf(slot.buffer)}:${slot.size}`;
    let bg = this.#bindGroups.get(key);
    if (!bg) {
      const entries: GPUBindGroupEntry[] = [];
      for (const t of [...inputs, ...outputs]) entries.push({ binding: entries.length, resource: bufferBinding(t.storage(name)) });
      if (slot) entries.push({ binding: entries.length, resource: { buffer: slot.buffer, offset: 0, size: slot.size } });
      bg = this.gpu.createBindGroup({ layout: layout.bgl, entries });
      if (this.#bindGroups.size >= BIND_GROUP_CACHE) this.#bindGroups.delete(this.#bindGroups.keys().next().value!);
      this.#bindGroups.set(key, bg);
    }
    const pass = this.#profile ? this.#profiledPass(this.#profile.byGrid ? `${name} [${x},${y},${z}]${k.describe ? ` ${k.describe(params)}` : ''}` : name) : this.#computePass();
    pass.setPipeline(pipeline);
    if (slot) pass.setBindGroup(0, bg, [slot.offset]);
    else pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(x, y, z);
    if (this.#profile) this.#endPass();
    this.#stats.dispatches++;
    if (++this.#batch >= BATCH_LIMIT) this.flush();
  }

  /** Copies src into dst inside the current batch (ordered with the dispatches around it). */
  copy(src: Tensor, dst: Tensor): void {
    const bytes = storageBytes(src.dtype, src.size);
    if (bytes !== storageBytes(dst.dtype, dst.size)) throw new Error(`copy: sizes differ: ${src} vs ${dst}`);
    this.#endPass();
    const [s, d] = [src.storage('copy'), dst.storage('copy')];
    this.#ensureEncoder().copyBufferToBuffer(s.handle as GPUBuffer, s.offset, d.handle as GPUBuffer, d.offset, bytes);
  }

  write(t: Tensor, data: TypedArray): void {
    checkWrite(t, data);
    this.flush();
    let src = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    if (src.byteLength % 4 !== 0) {
      const padded = new Uint8Array(Math.ceil(src.byteLength / 4) * 4);
      padded.set(src);
      src = padded;
    }
    const st = t.storage('write');
    if (src.byteLength > 0) this.gpu.queue.writeBuffer(st.handle as GPUBuffer, st.offset, src);
  }

  async read(t: Tensor): Promise<TypedArray> {
    const bytes = storageBytes(t.dtype, t.size);
    const cls = sizeClass(bytes);
    const staging =
      this.#readPool.take(cls) ?? this.gpu.createBuffer({ size: cls, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    this.#endPass();
    const st = t.storage('toArray');
    this.#ensureEncoder().copyBufferToBuffer(st.handle as GPUBuffer, st.offset, staging, 0, bytes);
    this.flush();
    this.#stats.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      await this.#throwErrors('toArray');
      throw e;
    }
    const out = allocArray(t.dtype, t.size);
    new Uint8Array(out.buffer).set(new Uint8Array(staging.getMappedRange(0, bytes), 0, out.byteLength));
    staging.unmap();
    this.#readPool.give(cls, staging);
    await this.#throwErrors('toArray');
    return out;
  }

  flush(): void {
    if (!this.#encoder) return;
    this.#endPass();
    this.#resolveProfile();
    this.#uniforms.upload(this.gpu.queue);
    this.gpu.queue.submit([this.#encoder.finish()]);
    this.#stats.submits++;
    const entry = { done: false, promise: this.gpu.queue.onSubmittedWorkDone() };
    entry.promise.then(() => (entry.done = true), () => (entry.done = true));
    this.#inflight.push(entry);
    while (this.#inflight.length && this.#inflight[0].done) this.#inflight.shift();
    this.#encoder = null;
    this.#batch = 0;
    this.#recent.drainInto(this.#pool);
  }

  async throttle(maxPending = 1): Promise<void> {
    this.flush();
    while (this.#inflight.length > maxPending) await this.#inflight.shift()!.promise;
    await this.#throwErrors('throttle');
  }

  async sync(): Promise<void> {
    this.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    this.#inflight = [];
    await this.#throwErrors('sync');
  }

  /**
   * Compiles a kernel's pipeline for these params ahead of use; rejects with an error naming the kernel when
   * the WGSL does not compile or validate.
   */
  async compile(name: string, params: unknown, nInputs: number, nOutputs: number): Promise<void> {
    const k = getKernel(name, 'webgpu');
    this.#pipeline(k, params, nInputs, nOutputs, k.uniforms !== undefined);
    await this.#throwErrors(`compile ${name}`);
  }

  /**
   * Starts a GPU-time profile of every dispatch recorded from now on, for finding where a step's time goes
   * (`benchmarks/profile.mjs`). Each dispatch then gets its own compute pass with timestamp writes at its start
   * and end, so the times are each kernel's own; a pass per dispatch adds a little overhead of its own, so a
   * profiled step is not a measurement of the step. `byGrid` keeps dispatches of one kernel with different
   * grids (shapes) apart. Needs the adapter's 'timestamp-query' feature; throws naming it otherwise.
   */
  startProfile(opts: { byGrid?: boolean } = {}): void {
    if (!this.gpu.features.has('timestamp-query')) throw new Error(`startProfile: this adapter (${this.label}) lacks the 'timestamp-query' feature`);
    if (this.#profile) throw new Error('startProfile: a profile is already running (stopProfile first)');
    this.flush();
    this.#profile = { byGrid: opts.byGrid ?? false, set: null, names: [], done: [], sets: [] };
  }

  /**
   * Ends the profile started by startProfile: waits for the device, reads every dispatch's timestamps, and
   * returns one row per kernel (or kernel and grid), the most GPU time first.
   */
  async stopProfile(): Promise<KernelProfile[]> {
    const p = this.#profile;
    if (!p) throw new Error('stopProfile: no profile is running (startProfile first)');
    await this.sync();
    this.#profile = null;
    const rows = new Map<string, { dispatches: number; ms: number }>();
    for (const b of p.done) {
      await b.read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(b.read.getMappedRange().slice(0));
      b.read.unmap();
      b.read.destroy();
      b.resolved.destroy();
      b.names.forEach((n, i) => {
        // ns; a pair a driver could not order (end before begin) counts as 0 rather than a negative time
        const ms = Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6;
        const r = rows.get(n) ?? { dispatches: 0, ms: 0 };
        r.dispatches++;
        r.ms += ms;
        rows.set(n, r);
      });
    }
    for (const s of p.sets) s.destroy();
    const total = [...rows.values()].reduce((a, r) => a + r.ms, 0);
    return [...rows]
      .map(([name, r]) => ({ name, dispatches: r.dispatches, ms: r.ms, share: total > 0 ? r.ms / total : 0 }))
      .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  }

  stats(): DeviceStats {
    const s = this.#stats;
    return {
      liveBuffers: s.live,
      liveBytes: s.liveBytes,
      pooledBuffers: this.#pool.pooledBuffers + this.#recent.pooledBuffers,
      pooledBytes: this.#pool.pooledBytes + this.#recent.pooledBytes,
      poolHits: s.hits,
      allocations: s.allocations,
      dispatches: s.dispatches,
      submits: s.submits,
      readbacks: s.readbacks,
      pipelines: this.#pipelineCount,
    };
  }

  limits(): DeviceLimits {
    const l = this.gpu.limits;
    return {
      maxBufferBytes: l.maxStorageBufferBindingSize,
      maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerKernel: l.maxStorageBuffersPerShaderStage,
    };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#pass = null;
    this.#encoder = null;
    this.#bindGroups.clear();
    this.#pool.destroyAll();
    this.#recent.destroyAll();
    this.#readPool.destroyAll();
    this.#uniforms.destroy();
    this.gpu.destroy();
  }

  /** A compute pass for one profiled dispatch, with its two timestamp writes in the batch's query set. */
  #profiledPass(name: string): GPUComputePassEncoder {
    const p = this.#profile!;
    this.#endPass();
    const encoder = this.#ensureEncoder();
    // one set per batch, sized for the batch limit (a batch is flushed at BATCH_LIMIT dispatches)
    if (!p.set) p.sets.push((p.set = this.gpu.createQuerySet({ type: 'timestamp', count: 2 * BATCH_LIMIT })));
    const i = p.names.length;
    p.names.push(name);
    this.#pass = encoder.beginComputePass({ timestampWrites: { querySet: p.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    return this.#pass;
  }

  /** At a batch's submit: resolves its timestamps into a buffer that stopProfile maps. */
  #resolveProfile(): void {
    const p = this.#profile;
    if (!p?.set || p.names.length === 0) return;
    const bytes = 16 * p.names.length;
    const resolved = this.gpu.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = this.gpu.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.#encoder!.resolveQuerySet(p.set, 0, 2 * p.names.length, resolved, 0);
    this.#encoder!.copyBufferToBuffer(resolved, 0, read, 0, bytes);
    p.done.push({ resolved, read, names: p.names });
    // the set is reused only after this batch's resolve has run: a fresh one per batch keeps that simple
    p.set = null;
    p.names = [];
  }

  #idOf(b: GPUBuffer): number {
    let id = this.#bufferIds.get(b);
    if (id === undefined) this.#bufferIds.set(b, (id = this.#nextBufferId++));
    return id;
  }

  #ensureEncoder(): GPUCommandEncoder {
    if (this.#destroyed) throw new Error('webgpu: the device was destroyed');
    return (this.#encoder ??= this.gpu.createCommandEncoder());
  }

  #computePass(): GPUComputePassEncoder {
    return (this.#pass ??= this.#ensureEncoder().beginComputePass());
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }

  /** Inputs bound as uniform buffers must be windows within the uniform binding limits (WgslKernel.uniformInputs). */
  #checkUniformInputs(name: string, inputs: Tensor[], ubos: number): void {
    const max = this.gpu.limits.maxUniformBufferBindingSize;
    const align = this.gpu.limits.minUniformBufferOffsetAlignment;
    inputs.forEach((t, i) => {
      if (!(ubos & (1 << i))) return;
      const s = t.storage(name);
      const bytes = Math.ceil(s.bytes / 16) * 16;
      if (!s.parent || s.offset % align !== 0 || bytes > max) {
        throw new Error(`${name}: input ${i} is bound as a uniform buffer, so it must be a window at a multiple of ${align} bytes of at most ${max} bytes; got ${s.parent ? `a window at byte ${s.offset} of ${bytes} bytes` : 'a whole buffer'}`);
      }
    });
  }

  #layout(nIn: number, nOut: number, uniform: boolean, ubos = 0): Layout {
    const sig = `${nIn}r${nOut}w${uniform ? 'u' : ''}${ubos ? `b${ubos}` : ''}`;
    let l = this.#layouts.get(sig);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < nIn; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: ubos & (1 << i) ? 'uniform' : 'read-only-storage' } });
      for (let i = 0; i < nOut; i++) entries.push({ binding: nIn + i, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
      if (uniform) entries.push({ binding: nIn + nOut, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
      const bgl = this.gpu.createBindGroupLayout({ entries, label: sig });
      l = { sig, bgl, pl: this.gpu.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
      this.#layouts.set(sig, l);
    }
    return l;
  }

  #pipeline(k: WgslKernel, params: unknown, nIn: number, nOut: number, uniform: boolean, ubos = 0): GPUComputePipeline {
    // Hot path (every dispatch): a per-kernel map keyed by the variant and the constants' values. A kernel's
    // constants() builds its object in a fixed key order, so the values alone identify the pipeline.
    const constants = k.constants?.(params);
    let key = k.variant ? k.variant(params) : '';
    if (constants) for (const c in constants) key += `|${constants[c]}`;
    key += `|${nIn}${nOut}${uniform ? 'u' : ''}${ubos ? `b${ubos}` : ''}`;
    let byKey = this.#pipelines.get(k);
    if (!byKey) this.#pipelines.set(k, (byKey = new Map()));
    const hit = byKey.get(key);
    if (hit) return hit;
    const p = this.#createPipeline(k, params, constants ?? {}, nIn, nOut, uniform, ubos);
    byKey.set(key, p);
    this.#pipelineCount++;
    return p;
  }

  #createPipeline(k: WgslKernel, params: unknown, constants: Record<string, number>, nIn: number, nOut: number, uniform: boolean, ubos = 0): GPUComputePipeline {
    const code = resolveWgslIncludes(typeof k.source === 'function' ? k.source(params) : k.source);
    let module = this.#modules.get(code);
    this.gpu.pushErrorScope('validation');
    if (!module) {
      module = this.gpu.createShaderModule({ code, label: k.name });
      this.#modules.set(code, module);
      const label = k.name;
      this.#checks.push(
        module.getCompilationInfo().then((info) => {
          const errs = info.messages.filter((m) => m.type === 'error');
          if (errs.length) this.#errors.push(`kernel '${label}': WGSL does not compile: ${errs.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
        }),
      );
    }
    const p = this.gpu.createComputePipeline({
      label: k.name,
      layout: this.#layout(nIn, nOut, uniform, ubos).pl,
      compute: { module, entryPoint: k.entryPoint ?? 'main', constants },
    });
    this.#checks.push(
      this.gpu.popErrorScope().then((err) => {
        if (err) this.#errors.push(`kernel '${k.name}': pipeline is invalid: ${err.message}`);
      }),
    );
    return p;
  }

  async #throwErrors(where: string): Promise<void> {
    if (this.#checks.length) {
      const checks = this.#checks;
      this.#checks = [];
      await Promise.all(checks);
    }
    if (this.#errors.length) {
      const msg = this.#errors.join('\n');
      this.#errors = [];
      throw new Error(`webgpu error (seen at ${where}): ${msg}`);
    }
  }
}
