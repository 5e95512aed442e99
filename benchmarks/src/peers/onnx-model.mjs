// A minimal ONNX protobuf writer: just enough of onnx.proto3 to build single-op models in memory for the
// onnxruntime peers (no protobuf dependency). Field numbers are those of onnx/onnx.proto.

const enc = new TextEncoder();

/** @param {number[]} out @param {number | bigint} v  unsigned varint (int64 fields take non-negative values here) */
function varint(out, v) {
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n; // two's complement, as protobuf encodes negative int64
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
}

/** A message under construction: a byte list with typed field writers. */
class Msg {
  /** @type {number[]} */ bytes = [];
  /** @param {number} field @param {number | bigint} v */
  int(field, v) {
    varint(this.bytes, (field << 3) | 0);
    varint(this.bytes, v);
    return this;
  }
  /** @param {number} field @param {number} v */
  float(field, v) {
    varint(this.bytes, (field << 3) | 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
    return this;
  }
  /** @param {number} field @param {Uint8Array | number[]} data */
  raw(field, data) {
    varint(this.bytes, (field << 3) | 2);
    varint(this.bytes, data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  /** @param {number} field @param {string} s */
  str(field, s) {
    return this.raw(field, enc.encode(s));
  }
  /** @param {number} field @param {Msg} m */
  msg(field, m) {
    return this.raw(field, m.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 };

/** @param {string} name @param {number[]} shape  ValueInfoProto of a float tensor */
function valueInfo(name, shape) {
  const s = new Msg();
  for (const d of shape) s.msg(1, new Msg().int(1, d)); // TensorShapeProto.dim { dim_value }
  const tensorType = new Msg().int(1, FLOAT).msg(2, s); // TypeProto.Tensor { elem_type, shape }
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tensorType)); // ValueInfoProto { name, type }
}

/** @param {string} name @param {number | number[]} v */
function attribute(name, v) {
  const a = new Msg().str(1, name);
  if (Array.isArray(v)) {
    for (const x of v) a.int(8, x);
    return a.int(20, ATTR.INTS);
  }
  if (Number.isInteger(v)) return a.int(3, v).int(20, ATTR.INT);
  return a.float(2, v).int(20, ATTR.FLOAT);
}

/**
 * @typedef {{ op: string, inputs: string[], outputs: string[], attrs?: Record<string, number | number[]> }} OnnxNode
 * @typedef {{ name: string, shape: number[] }} OnnxValue
 */

/**
 * Serialises a model whose graph is `nodes` over float inputs/outputs (opset 17, IR version 8).
 * @param {{ nodes: OnnxNode[], inputs: OnnxValue[], outputs: OnnxValue[] }} g
 * @returns {Uint8Array}
 */
export function onnxModel(g) {
  const graph = new Msg();
  g.nodes.forEach((n, i) => {
    const node = new Msg();
    for (const x of n.inputs) node.str(1, x);
    for (const y of n.outputs) node.str(2, y);
    node.str(3, `${n.op}_${i}`).str(4, n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) node.msg(5, attribute(k, v));
    graph.msg(1, node);
  });
  graph.str(2, 'bench');
  for (const v of g.inputs) graph.msg(11, valueInfo(v.name, v.shape));
  for (const v of g.outputs) graph.msg(12, valueInfo(v.name, v.shape));
  const model = new Msg()
    .int(1, 8) // ir_version
    .str(2, 'twist-benchmarks') // producer_name
    .msg(7, graph)
    .msg(8, new Msg().str(1, '').int(2, 17)); // opset_import { domain "", version 17 }
  return Uint8Array.from(model.bytes);
}

/** Single-op model: MatMul [M,K] x [K,N]. */
export const matmulModel = (/** @type {number} */ M, /** @type {number} */ K, /** @type {number} */ N) =>
  onnxModel({
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    inputs: [{ name: 'a', shape: [M, K] }, { name: 'b', shape: [K, N] }],
    outputs: [{ name: 'c', shape: [M, N] }],
  });
