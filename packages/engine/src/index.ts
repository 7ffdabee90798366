/**
 * @loupe/engine: runs intervention graphs on ONNX models with onnxruntime-node
 * (model import, hooked execution, batching, session cache). Used by the worker
 * and by the SDK's local runs.
 *
 * Empty until the engine issue lands; the worker reports "no models loaded".
 */
export {};
