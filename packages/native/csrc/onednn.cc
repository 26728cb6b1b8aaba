// oneDNN convolutions and matmuls for tfjs-wasm tensors, in place on the wasm heap (Node-API, C++17).
// Tensors are NHWC float32 at byte offsets of one buffer (the wasm memory); filters are HWIO
// (tfjs's [kh, kw, Ci, Co]). Primitives, and the buffers of filters in oneDNN's blocked layout,
// are cached per shape. Builds against oneDNN 2.x (op descriptors) and 3.x (primitive_desc only).
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// Which convolution: forward (x, w -> y), input gradient (dy, w -> dx), filter gradient (x, dy -> dw).
enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

// N, H, W, Ci, Co, kh, kw, sh, sw, top, left, bottom, right, Ho, Wo
struct Shape {
  int64_t v[15];
  int64_t N() const { return v[0]; }
  int64_t H() const { return v[1]; }
  int64_t W() const { return v[2]; }
  int64_t Ci() const { return v[3]; }
  int64_t Co() const { return v[4]; }
  int64_t kh() const { return v[5]; }
  int64_t kw() const { return v[6]; }
  int64_t Ho() const { return v[13]; }
  int64_t Wo() const { return v[14]; }
  memory::dims strides() const { return {v[7], v[8]}; }
  memory::dims padL() const { return {v[9], v[10]}; }
  memory::dims padR() const { return {v[11], v[12]}; }
  bool operator<(const Shape& o) const { return std::memcmp(v, o.v, sizeof v) < 0; }
};

#if defined(__x86_64__) || defined(_M_X64)
// Denormal floats (|x| < 2^-126) take a slow path on x86, 10-100x per operation. Weights that weight
// decay drives towards zero reach them in long runs (9% of an SNN twin's weights after 2 epochs of
// Fashion-MNIST; its epochs became 2.5x slower), and a third of them made a conv 2.7x and a matmul 13x
// slower. So oneDNN computes with flush-to-zero and denormals-are-zero (torch.set_flush_denormal):
// set for good in OpenMP's worker threads, and around each call only on the calling thread, where
// Node runs JavaScript and wasm, whose IEEE semantics must stay as they are.
constexpr unsigned kFtzDaz = 0x8040;  // MXCSR bits 15 (FTZ) and 6 (DAZ)
class NoDenormals {
 public:
  NoDenormals() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | kFtzDaz);
    static int workersDoneFor = 0;
    const int n = omp_get_max_threads();
    if (n != workersDoneFor) {
#pragma omp parallel
      if (omp_get_thread_num() != 0) _mm_setcsr(_mm_getcsr() | kFtzDaz);
      workersDoneFor = n;
    }
  }
  ~NoDenormals() { _mm_setcsr(saved_); }
  NoDenormals(const NoDenormals&) = delete;
  NoDenormals& operator=(const NoDenormals&) = delete;

 private:
  unsigned saved_;
};
#else
struct NoDenormals {};
#endif

engine& cpu() {
  static engine e(engine::kind::cpu, 0);
  return e;
}

// One cached primitive: the convolution, and a reorder between tfjs's HWIO filter and the
// layout oneDNN chose (none when they are the same).
struct Entry {
  primitive conv;
  memory::desc userW, convW;
  bool reorderW = false;
  std::vector<float> blockedW;  // the filter (or its gradient) in oneDNN's layout
  std::string impl;
};

memory::desc nhwc(int64_t n, int64_t c, int64_t h, int64_t w) { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }

std::unique_ptr<Entry> make(Kind kind, const Shape& s) {
  auto& eng = cpu();
  auto x = nhwc(s.N(), s.Ci(), s.H(), s.W());
  auto y = nhwc(s.N(), s.Co(), s.Ho(), s.Wo());
  memory::dims wd = {s.Co(), s.Ci(), s.kh(), s.kw()};
  memory::desc wAny(wd, dt::f32, tag::any);
  memory::dims dil = {0, 0};
  auto e = std::make_unique<Entry>();
  e->userW = memory::desc(wd, dt::f32, tag::hwio);
#if DNNL_VERSION_MAJOR >= 3
  auto fwd = convolution_forward::primitive_desc(eng, prop_kind::forward_training, algorithm::convolution_direct, x,
                                                 wAny, y, s.strides(), dil, s.padL(), s.padR());
#else
  auto fwd = convolution_forward::primitive_desc(
      convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, x, wAny, y, s.strides(),
                                dil, s.padL(), s.padR()),
      eng);
#endif
  if (kind == kForward) {
    e->convW = fwd.weights_desc();
    e->conv = convolution_forward(fwd);
    e->impl = fwd.impl_info_str();
  } else if (kind == kBackwardData) {
#if DNNL_VERSION_MAJOR >= 3
    auto bwd = convolution_backward_data::primitive_desc(eng, algorithm::convolution_direct, x, wAny, y, s.strides(),
                                                         dil, s.padL(), s.padR(), fwd);
#else
    auto bwd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(algorithm::convolution_direct, x, wAny, y, s.strides(), dil, s.padL(),
                                        s.padR()),
        eng, fwd);
#endif
    e->convW = bwd.weights_desc();
    e->conv = convolution_backward_data(bwd);
    e->impl = bwd.impl_info_str();
  } else {
#if DNNL_VERSION_MAJOR >= 3
    auto bwd = convolution_backward_weights::primitive_desc(eng, algorithm::convolution_direct, x, wAny, y,
                                                            s.strides(), dil, s.padL(), s.padR(), fwd);
#else
    auto bwd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(algorithm::convolution_direct, x, wAny, y, s.strides(), dil, s.padL(),
                                           s.padR()),
        eng, fwd);
#endif
    e->convW = bwd.diff_weights_desc();
    e->conv = convolution_backward_weights(bwd);
    e->impl = bwd.impl_info_str();
  }
  e->reorderW = !(e->convW == e->userW);
  if (e->reorderW) e->blockedW.resize(e->convW.get_size() / sizeof(float));
  return e;
}

std::map<std::pair<int, Shape>, std::unique_ptr<Entry>>& cache() {
  static std::map<std::pair<int, Shape>, std::unique_ptr<Entry>> c;
  return c;
}

Entry& entry(Kind kind, const Shape& s) {
  auto key = std::make_pair(static_cast<int>(kind), s);
  auto& c = cache();
  auto it = c.find(key);
  if (it == c.end()) it = c.emplace(key, make(kind, s)).first;
  return *it->second;
}

// Runs one convolution on buffers a, b -> out (see Kind for their roles).
void run(Kind kind, const Shape& s, float* a, float* b, float* out) {
  Entry& e = entry(kind, s);
  auto& eng = cpu();
  stream strm(eng);
  auto x = nhwc(s.N(), s.Ci(), s.H(), s.W());
  auto y = nhwc(s.N(), s.Co(), s.Ho(), s.Wo());
  if (kind == kBackwardWeights) {
    memory src(x, eng, a), diffDst(y, eng, b), user(e.userW, eng, out);
    memory diffW = e.reorderW ? memory(e.convW, eng, e.blockedW.data()) : user;
    e.conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffW}});
    if (e.reorderW) reorder(diffW, user).execute(strm, diffW, user);
  } else {
    memory user(e.userW, eng, b);
    memory w = user;
    if (e.reorderW) {
      w = memory(e.convW, eng, e.blockedW.data());
      reorder(user, w).execute(strm, user, w);
    }
    if (kind == kForward) {
      memory src(x, eng, a), dst(y, eng, out);
      e.conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
    } else {
      memory diffDst(y, eng, a), diffSrc(x, eng, out);
      e.conv.execute(strm, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    }
  }
  strm.wait();
}

// Batched matmul C[b] = op(A[b]) op(B[b]) on row-major buffers, batch 1 broadcast; op = transpose
// when asked. dims: batchA, batchB, M, K, N, transA, transB.
struct MatmulKey {
  int64_t v[7];
  bool operator<(const MatmulKey& o) const { return std::memcmp(v, o.v, sizeof v) < 0; }
};

struct MatmulEntry {
  primitive mm;
  memory::desc a, b, c;
  std::string impl;
};

MatmulEntry& matmulEntry(const MatmulKey& k) {
  static std::map<MatmulKey, std::unique_ptr<MatmulEntry>> c;
  auto it = c.find(k);
  if (it != c.end()) return *it->second;
  const int64_t bA = k.v[0], bB = k.v[1], M = k.v[2], K = k.v[3], N = k.v[4];
  const bool tA = k.v[5] != 0, tB = k.v[6] != 0;
  auto e = std::make_unique<MatmulEntry>();
  e->a = memory::desc({bA, M, K}, dt::f32, tA ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1});
  e->b = memory::desc({bB, K, N}, dt::f32, tB ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1});
  const int64_t bC = bA > bB ? bA : bB;
  e->c = memory::desc({bC, M, N}, dt::f32, memory::dims{M * N, N, 1});
#if DNNL_VERSION_MAJOR >= 3
  auto pd = matmul::primitive_desc(cpu(), e->a, e->b, e->c);
#else
  auto pd = matmul::primitive_desc(matmul::desc(e->a, e->b, e->c), cpu());
#endif
  e->mm = matmul(pd);
  e->impl = pd.impl_info_str();
  return *c.emplace(k, std::move(e)).first->second;
}

napi_value throwError(napi_env env, const std::string& msg) {
  napi_throw_error(env, "HYBRIDSPIKE_NATIVE", msg.c_str());
  return nullptr;
}

bool readShape(napi_env env, napi_value arr, Shape& s) {
  uint32_t len = 0;
  if (napi_get_array_length(env, arr, &len) != napi_ok || len != 15) return false;
  for (uint32_t i = 0; i < len; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_int64(env, v, &s.v[i]) != napi_ok) return false;
    if (s.v[i] < 0) return false;
  }
  return s.N() > 0 && s.Ci() > 0 && s.Co() > 0 && s.kh() > 0 && s.kw() > 0 && s.v[7] > 0 && s.v[8] > 0 &&
         s.Ho() > 0 && s.Wo() > 0;
}

// The heap argument: a Uint8Array over the wasm memory; its data pointer and length.
bool heapArg(napi_env env, napi_value v, uint8_t** base, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped) return false;
  napi_typedarray_type type;
  void* data;
  napi_value buffer;
  size_t byteOffset;
  napi_get_typedarray_info(env, v, &type, length, &data, &buffer, &byteOffset);
  *base = static_cast<uint8_t*>(data);
  return type == napi_uint8_array;
}

// Three byte offsets into the heap: non-negative multiples of 4.
bool offsetArgs(napi_env env, const napi_value* args, int64_t* off) {
  for (int i = 0; i < 3; i++)
    if (napi_get_value_int64(env, args[i], &off[i]) != napi_ok || off[i] < 0 || off[i] % 4 != 0) return false;
  return true;
}

// conv(kind, heap: Uint8Array, offA, offB, offOut, shape[15]): in place on the heap's bytes.
napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc != 6) return throwError(env, "conv(kind, heap, offA, offB, offOut, shape) takes 6 arguments");
  int32_t kind;
  if (napi_get_value_int32(env, args[0], &kind) != napi_ok || kind < 0 || kind > 2)
    return throwError(env, "conv: kind must be 0 (forward), 1 (input gradient) or 2 (filter gradient)");
  uint8_t* base = nullptr;
  size_t length = 0;
  if (!heapArg(env, args[1], &base, &length)) return throwError(env, "conv: heap must be a Uint8Array over the wasm memory");
  int64_t off[3];
  if (!offsetArgs(env, args + 2, off)) return throwError(env, "conv: offsets must be non-negative multiples of 4");
  Shape s;
  if (!readShape(env, args[5], s)) return throwError(env, "conv: shape must be 15 non-negative integers");
  // Every tensor must lie inside the heap: a wrong offset must be an error, never a stray write.
  const int64_t nx = s.N() * s.H() * s.W() * s.Ci(), ny = s.N() * s.Ho() * s.Wo() * s.Co(),
                nw = s.kh() * s.kw() * s.Ci() * s.Co();
  const int64_t sizes[3][3] = {{nx, nw, ny}, {ny, nw, nx}, {nx, ny, nw}};
  for (int i = 0; i < 3; i++)
    if (off[i] + 4 * sizes[kind][i] > static_cast<int64_t>(length))
      return throwError(env, "conv: a tensor lies outside the heap");
  try {
    NoDenormals ftz;
    run(static_cast<Kind>(kind), s, reinterpret_cast<float*>(base + off[0]), reinterpret_cast<float*>(base + off[1]),
        reinterpret_cast<float*>(base + off[2]));
  } catch (const dnnl::error& e) {
    return throwError(env, std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    return throwError(env, e.what());
  }
  return nullptr;
}

// matmul(heap: Uint8Array, offA, offB, offC, dims[7]): in place on the heap's bytes.
napi_value Matmul(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc != 5) return throwError(env, "matmul(heap, offA, offB, offC, dims) takes 5 arguments");
  uint8_t* base = nullptr;
  size_t length = 0;
  if (!heapArg(env, args[0], &base, &length))
    return throwError(env, "matmul: heap must be a Uint8Array over the wasm memory");
  int64_t off[3];
  if (!offsetArgs(env, args + 1, off)) return throwError(env, "matmul: offsets must be non-negative multiples of 4");
  MatmulKey k;
  uint32_t len = 0;
  if (napi_get_array_length(env, args[4], &len) != napi_ok || len != 7)
    return throwError(env, "matmul: dims must be [batchA, batchB, M, K, N, transA, transB]");
  for (uint32_t i = 0; i < 7; i++) {
    napi_value v;
    if (napi_get_element(env, args[4], i, &v) != napi_ok || napi_get_value_int64(env, v, &k.v[i]) != napi_ok ||
        k.v[i] < 0)
      return throwError(env, "matmul: dims must be non-negative integers");
  }
  const int64_t bA = k.v[0], bB = k.v[1], M = k.v[2], K = k.v[3], N = k.v[4];
  if (bA < 1 || bB < 1 || M < 1 || K < 1 || N < 1 || (bA != bB && bA != 1 && bB != 1))
    return throwError(env, "matmul: batches must match or one be 1, sizes positive");
  const int64_t bC = bA > bB ? bA : bB;
  const int64_t sizes[3] = {bA * M * K, bB * K * N, bC * M * N};
  for (int i = 0; i < 3; i++)
    if (off[i] + 4 * sizes[i] > static_cast<int64_t>(length))
      return throwError(env, "matmul: a tensor lies outside the heap");
  try {
    NoDenormals ftz;
    MatmulEntry& e = matmulEntry(k);
    auto& eng = cpu();
    stream strm(eng);
    memory a(e.a, eng, base + off[0]), b(e.b, eng, base + off[1]), c(e.c, eng, base + off[2]);
    e.mm.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    strm.wait();
  } catch (const std::exception& e) {
    return throwError(env, std::string("oneDNN: ") + e.what());
  }
  return nullptr;
}

// implementation(kind, shape): the name of the oneDNN implementation that runs this convolution.
napi_value Implementation(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  int32_t kind = 0;
  Shape s;
  if (argc != 2 || napi_get_value_int32(env, args[0], &kind) != napi_ok || kind < 0 || kind > 2 ||
      !readShape(env, args[1], s))
    return throwError(env, "implementation(kind, shape): bad arguments");
  try {
    const std::string& name = entry(static_cast<Kind>(kind), s).impl;
    napi_value out;
    napi_create_string_utf8(env, name.c_str(), name.size(), &out);
    return out;
  } catch (const std::exception& e) {
    return throwError(env, e.what());
  }
}

// setThreads(n): oneDNN's OpenMP threads for the following calls.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  int32_t n = 0;
  if (argc != 1 || napi_get_value_int32(env, arg, &n) != napi_ok || n < 1)
    return throwError(env, "setThreads(n): n must be a positive integer");
  omp_set_num_threads(n);
  return nullptr;
}

// version(): { onednn: "2.6.3", isa: "...", threads: n }
napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string ver = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  const char* isa = "other";
  switch (get_effective_cpu_isa()) {
    case cpu_isa::sse41: isa = "sse41"; break;
    case cpu_isa::avx: isa = "avx"; break;
    case cpu_isa::avx2: isa = "avx2"; break;
    case cpu_isa::avx512_core: isa = "avx512_core"; break;
    case cpu_isa::avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case cpu_isa::avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case cpu_isa::avx512_core_amx: isa = "avx512_core_amx"; break;
    default: break;
  }
  napi_value out, a, b, c;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, ver.c_str(), ver.size(), &a);
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &b);
  napi_create_int32(env, omp_get_max_threads(), &c);
  napi_set_named_property(env, out, "onednn", a);
  napi_set_named_property(env, out, "isa", b);
  napi_set_named_property(env, out, "threads", c);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implementation", nullptr, Implementation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
