/*
 * bp_native's DuckDB <-> Arrow bridge: per-value work on DuckDB vectors done in C, one call per
 * vector (2048 rows) instead of one JS step (or one bindings call) per value.
 *
 * DuckDB itself is NOT linked into this addon. @duckdb/node-bindings loads libduckdb.so into the
 * process; duckdbBind(path) finds that already-loaded copy with dlopen(path, RTLD_NOLOAD) and
 * resolves the few C API functions used here with dlsym. If the library is not loaded or a symbol
 * is missing, duckdbBind returns a reason (a string) and the JS side keeps its own path.
 *
 * Vectors come from the bindings as N-API externals wrapping the C pointer (`duckdb_vector`),
 * type-tagged by the bindings; the tag is checked before the pointer is used. Only the C API's
 * documented layouts are relied on (declared here, not included from duckdb.h):
 *   - duckdb_vector_get_data: the flat values (fixed width, or 16-byte duckdb_string_t);
 *   - duckdb_string_t: uint32 length; length <= 12: the bytes inline after it; else a 4-byte
 *     prefix and a char* to the bytes;
 *   - duckdb_vector_get_validity: uint64 words, bit i = row i valid; NULL = every row valid;
 *   - duckdb_result: the 48-byte struct passed by value to duckdb_fetch_chunk.
 *
 * JS interface (runtime/native/duckdb-bridge.ts wraps it; `vector` is a bindings Vector):
 *   duckdbBind(libPath | null) -> null (bound) | string (why not)
 *   DuckDB -> Arrow. `bitmap` is the Arrow validity bitmap being built; rows land at [row, row + rows)
 *   of the Arrow buffers. Each returns the number of NULLs among the rows.
 *     exportFixed(vector, rows, bitmap, row, width, data)      memcpy into data[row*width ...]
 *     exportBool(vector, rows, bitmap, row, bits)              bytes -> bits at bit `row`
 *     exportDecimal(vector, rows, bitmap, row, width, data)    int16/32/64 -> sign-extended int128
 *     exportStrings(vector, rows, bitmap, row, offsets, data)  string_t -> int32 offsets + bytes
 *       (appends after offsets[row]; writes offsets[row+1 .. row+rows]); when `data` is too small
 *       it writes nothing and returns -(bytes needed) - 1, so the caller grows `data` and retries.
 *   Whole batches straight from a query result, fetched and copied on a worker thread (so JS
 *   neither waits for one async fetch per 2048-row chunk nor copies anything itself):
 *     exportOpen(result, kinds, widths) -> stream
 *     exportFill(stream, row, target, maxStringBytes, buffers, status) -> Promise<rows added>
 *     (contract above export_open below)
 *   Arrow -> DuckDB. Rows [dst, dst + n) of the vector; `validity` (when given) is the chunk's
 *   bitmap, bit dst+i, and rows whose bit is clear are skipped (their value is zeroed).
 *     importFixed(vector, dst, n, width, src, srcByteOffset)   memcpy from a typed array
 *     importBool(vector, dst, n, bits, srcBit)                 bits -> bytes
 *     importStrings(vector, dst, n, bytes, offsets, first, validity, ends?, borrow?)
 *       offsets Int32Array | BigInt64Array: string i = [offsets[first+i], offsets[first+i+1]);
 *       offsets Float64Array with `ends` Float64Array: string i = [offsets[first+i], ends[first+i]).
 *       Strings of <= 12 bytes are written inline. Longer ones: by default through
 *       duckdb_vector_assign_string_element_len (copied into the vector's string heap, and an
 *       ill-formed UTF-8 VARCHAR stored as NULL); with borrow = true the string_t points into
 *       `bytes` itself (no copy, no UTF-8 check): the caller keeps `bytes` alive and unchanged
 *       until DuckDB has copied the chunk (appended and flushed it).
 *   duckdbAbi -> number   version of this part of the interface.
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duckdb_bridge.h"

#define BRIDGE_ABI 1

/* The C API types used here, declared locally (layouts from DuckDB's duckdb.h). */
typedef uint64_t idx_t;
typedef struct _duckdb_vector { void *internal_ptr; } *duckdb_vector;
typedef struct _duckdb_data_chunk { void *internal_ptr; } *duckdb_data_chunk;
typedef struct {
  idx_t deprecated_column_count;
  idx_t deprecated_row_count;
  idx_t deprecated_rows_changed;
  void *deprecated_columns;
  char *deprecated_error_message;
  void *internal_data;
} duckdb_result;
typedef struct {
  union {
    struct {
      uint32_t length;
      char prefix[4];
      char *ptr;
    } pointer;
    struct {
      uint32_t length;
      char inlined[12];
    } inlined;
  } value;
} duckdb_string_t;
_Static_assert(sizeof(duckdb_string_t) == 16, "duckdb_string_t is 16 bytes");

static struct {
  bool bound;
  void *(*vector_get_data)(duckdb_vector);
  uint64_t *(*vector_get_validity)(duckdb_vector);
  void (*vector_ensure_validity_writable)(duckdb_vector);
  void (*vector_assign_string_element_len)(duckdb_vector, idx_t, const char *, idx_t);
  idx_t (*vector_size)(void);
  duckdb_data_chunk (*fetch_chunk)(duckdb_result);
  const char *(*result_error)(duckdb_result *);
  void (*destroy_data_chunk)(duckdb_data_chunk *);
  idx_t (*data_chunk_get_size)(duckdb_data_chunk);
  idx_t (*data_chunk_get_column_count)(duckdb_data_chunk);
  duckdb_vector (*data_chunk_get_vector)(duckdb_data_chunk, idx_t);
  idx_t capacity; /* rows per vector (STANDARD_VECTOR_SIZE) */
} D;

/* The type tag @duckdb/node-bindings puts on its Vector externals (bindings/src/externals.h). */
static const napi_type_tag VECTOR_TAG = {0x9FE56DE8E3124D07ULL, 0x9ABF31145EDE1C9EULL};

#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      bridge_throw_napi((env), #call);                                          \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

static void bridge_throw_napi(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[512];
  snprintf(msg, sizeof msg, "bp_native: %s failed: %s", what,
           info && info->error_message ? info->error_message : "unknown Node-API error");
  napi_throw_error(env, NULL, msg);
}

static napi_value range_error(napi_env env, const char *msg) {
  char full[300];
  snprintf(full, sizeof full, "bp_native: %s", msg);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", full);
  return NULL;
}

static napi_value type_error(napi_env env, const char *msg) {
  char full[300];
  snprintf(full, sizeof full, "bp_native: %s", msg);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", full);
  return NULL;
}

// ------------------------------------------------------------------------------------------------
// Binding to the loaded libduckdb

static napi_value duckdb_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value result;
  if (D.bound) {
    CHECK(env, napi_get_null(env, &result));
    return result;
  }
  char path[4096] = "";
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[0], &t));
    if (t == napi_string) {
      size_t len = 0;
      CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
      if (len >= sizeof path - 1) return range_error(env, "duckdbBind: library path too long");
    }
  }
  char why[600] = "";
  /* Only a library that is already in the process: never load a second copy of DuckDB. */
  void *lib = path[0] ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
  if (lib == NULL) {
    const char *err = path[0] ? dlerror() : NULL;
    lib = dlopen("libduckdb.so", RTLD_NOW | RTLD_NOLOAD);
    if (lib == NULL) {
      snprintf(why, sizeof why, "libduckdb is not loaded in this process (%s%s%s)", path[0] ? path : "no path given",
               err ? ": " : "", err ? err : "");
    }
  }
  if (lib != NULL) {
    struct {
      const char *name;
      void **slot;
    } syms[] = {
        {"duckdb_vector_get_data", (void **)&D.vector_get_data},
        {"duckdb_vector_get_validity", (void **)&D.vector_get_validity},
        {"duckdb_vector_ensure_validity_writable", (void **)&D.vector_ensure_validity_writable},
        {"duckdb_vector_assign_string_element_len", (void **)&D.vector_assign_string_element_len},
        {"duckdb_vector_size", (void **)&D.vector_size},
        {"duckdb_fetch_chunk", (void **)&D.fetch_chunk},
        {"duckdb_result_error", (void **)&D.result_error},
        {"duckdb_destroy_data_chunk", (void **)&D.destroy_data_chunk},
        {"duckdb_data_chunk_get_size", (void **)&D.data_chunk_get_size},
        {"duckdb_data_chunk_get_column_count", (void **)&D.data_chunk_get_column_count},
        {"duckdb_data_chunk_get_vector", (void **)&D.data_chunk_get_vector},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
      *syms[i].slot = dlsym(lib, syms[i].name);
      if (*syms[i].slot == NULL) {
        snprintf(why, sizeof why, "symbol %s not found in libduckdb", syms[i].name);
        break;
      }
    }
    if (why[0] == '\0') {
      D.capacity = D.vector_size();
      if (D.capacity == 0 || D.capacity > (1u << 20)) snprintf(why, sizeof why, "unexpected duckdb_vector_size %llu", (unsigned long long)D.capacity);
    }
    /* The handle is kept open (a reference on a library that stays loaded anyway). */
  }
  if (why[0] != '\0') {
    memset(&D, 0, sizeof D);
    CHECK(env, napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &result));
    return result;
  }
  D.bound = true;
  CHECK(env, napi_get_null(env, &result));
  return result;
}

// ------------------------------------------------------------------------------------------------
// Argument helpers (each returns false with a pending exception)

static bool get_vector(napi_env env, napi_value v, duckdb_vector *out) {
  if (!D.bound) {
    napi_throw_error(env, NULL, "bp_native: the DuckDB bridge is not bound (call duckdbBind first)");
    return false;
  }
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) {
    type_error(env, "expected a DuckDB vector (an external from @duckdb/node-bindings)");
    return false;
  }
  bool tagged = false;
  if (napi_check_object_type_tag(env, v, &VECTOR_TAG, &tagged) != napi_ok || !tagged) {
    type_error(env, "the external is not a @duckdb/node-bindings Vector");
    return false;
  }
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    type_error(env, "the DuckDB vector external is empty");
    return false;
  }
  *out = (duckdb_vector)p;
  return true;
}

static bool get_count(napi_env env, napi_value v, const char *what, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > (double)max || d != (double)(int64_t)d) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be an integer in [0, %lld]", what, (long long)max);
    range_error(env, msg);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

typedef struct {
  uint8_t *data; /* first byte of the view */
  size_t len;    /* bytes in the view */
  napi_typedarray_type type;
} view_t;

/* A typed array (any element type). */
static bool get_view(napi_env env, napi_value v, const char *what, view_t *out) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be a typed array", what);
    type_error(env, msg);
    return false;
  }
  size_t length = 0, offset = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &out->type, &length, &data, &ab, &offset) != napi_ok) {
    bridge_throw_napi(env, "napi_get_typedarray_info");
    return false;
  }
  size_t width = 1;
  switch (out->type) {
    case napi_int16_array: case napi_uint16_array: width = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: width = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: width = 8; break;
    default: width = 1;
  }
  out->data = data;
  out->len = length * width;
  return true;
}

static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

// ------------------------------------------------------------------------------------------------
// Bits

/* Writes bits [dst_bit, dst_bit + n) of dst from bits [0, n) of src (NULL = all ones). */
static void write_bits(uint8_t *dst, size_t dst_bit, const uint8_t *src, size_t n) {
  uint8_t *d = dst + (dst_bit >> 3);
  unsigned shift = (unsigned)(dst_bit & 7);
  if (shift == 0) {
    size_t full = n >> 3;
    if (src) memcpy(d, src, full);
    else memset(d, 0xff, full);
    unsigned rem = (unsigned)(n & 7);
    if (rem) {
      uint8_t mask = (uint8_t)((1u << rem) - 1);
      uint8_t v = src ? src[full] : 0xff;
      d[full] = (uint8_t)((d[full] & ~mask) | (v & mask));
    }
    return;
  }
  for (size_t i = 0; i < n; i += 8) {
    unsigned k = n - i < 8 ? (unsigned)(n - i) : 8;
    unsigned lowmask = (1u << k) - 1;
    unsigned v = (src ? src[i >> 3] : 0xffu) & lowmask;
    unsigned m = lowmask << shift;
    v <<= shift;
    size_t j = i >> 3;
    d[j] = (uint8_t)((d[j] & ~m) | (v & 0xff));
    if (m >> 8) d[j + 1] = (uint8_t)((d[j + 1] & ~(m >> 8)) | (v >> 8));
  }
}

/* Number of clear bits among the first n bits of a DuckDB validity mask (NULL = none). */
static size_t count_nulls(const uint64_t *mask, size_t n) {
  if (mask == NULL) return 0;
  size_t valid = 0, words = n >> 6;
  for (size_t w = 0; w < words; w++) valid += (size_t)__builtin_popcountll(mask[w]);
  unsigned rem = (unsigned)(n & 63);
  if (rem) valid += (size_t)__builtin_popcountll(mask[words] & ((1ULL << rem) - 1));
  return n - valid;
}

static inline bool mask_valid(const uint64_t *mask, size_t i) {
  return mask == NULL || ((mask[i >> 6] >> (i & 63)) & 1);
}

// ------------------------------------------------------------------------------------------------
// DuckDB -> Arrow: the per-column copies (plain C, also run on worker threads by exportFill)

enum { COL_FIXED = 0, COL_BOOL = 1, COL_DECIMAL = 2, COL_STRING = 3 };

/* Validity into the Arrow bitmap at bit `row`; returns the null count. */
static size_t copy_validity(duckdb_vector v, size_t rows, uint8_t *bitmap, size_t row) {
  const uint64_t *mask = D.vector_get_validity(v);
  write_bits(bitmap, row, (const uint8_t *)mask, rows);
  return count_nulls(mask, rows);
}

static void copy_fixed(duckdb_vector v, size_t rows, size_t row, size_t width, uint8_t *data) {
  if (rows > 0) memcpy(data + row * width, D.vector_get_data(v), rows * width);
}

static void copy_bool(duckdb_vector v, size_t rows, size_t row, uint8_t *bits) {
  const uint8_t *src = D.vector_get_data(v);
  for (size_t i = 0; i < rows; i++) {
    size_t b = row + i;
    uint8_t bit = (uint8_t)(1u << (b & 7));
    if (src[i]) bits[b >> 3] |= bit;
    else bits[b >> 3] &= (uint8_t)~bit;
  }
}

static void copy_decimal(duckdb_vector v, size_t rows, size_t row, size_t width, uint8_t *data) {
  const uint8_t *src = D.vector_get_data(v);
  uint8_t *dst = data + row * 16;
  for (size_t i = 0; i < rows; i++) {
    int64_t x;
    if (width == 8) {
      memcpy(&x, src + 8 * i, 8);
    } else if (width == 4) {
      int32_t y;
      memcpy(&y, src + 4 * i, 4);
      x = y;
    } else {
      int16_t y;
      memcpy(&y, src + 2 * i, 2);
      x = y;
    }
    int64_t hi = x < 0 ? -1 : 0;
    memcpy(dst + 16 * i, &x, 8);
    memcpy(dst + 16 * i + 8, &hi, 8);
  }
}

/* Where the string bytes of `rows` rows would end if appended at byte `start`. */
static uint64_t strings_end(duckdb_vector v, size_t rows, uint64_t start) {
  const duckdb_string_t *s = D.vector_get_data(v);
  const uint64_t *mask = D.vector_get_validity(v);
  uint64_t total = start;
  for (size_t i = 0; i < rows; i++) {
    if (mask_valid(mask, i)) total += s[i].value.inlined.length;
  }
  return total;
}

/* Appends after offsets[row] (the caller checked the room with strings_end); writes offsets[row+1 ..]. */
static void copy_strings(duckdb_vector v, size_t rows, size_t row, int32_t *offsets, uint8_t *data) {
  const duckdb_string_t *s = D.vector_get_data(v);
  const uint64_t *mask = D.vector_get_validity(v);
  int32_t *o = offsets + row + 1;
  size_t pos = (size_t)offsets[row];
  for (size_t i = 0; i < rows; i++) {
    if (mask_valid(mask, i)) {
      uint32_t len = s[i].value.inlined.length;
      const char *bytes = len <= 12 ? s[i].value.inlined.inlined : s[i].value.pointer.ptr;
      memcpy(data + pos, bytes, len);
      pos += len;
    }
    o[i] = (int32_t)pos;
  }
}

// ------------------------------------------------------------------------------------------------
// DuckDB -> Arrow, one vector per call (JS: exportFixed, exportBool, exportDecimal, exportStrings)

typedef struct {
  duckdb_vector vector;
  size_t rows;
  view_t bitmap;
  size_t row; /* destination row of the first value */
} export_args;

/* Parses (vector, rows, bitmap, row) and checks the bitmap can hold bits [row, row + rows). */
static bool export_common(napi_env env, napi_value *argv, export_args *a) {
  int64_t rows, row;
  if (!get_vector(env, argv[0], &a->vector)) return false;
  if (!get_count(env, argv[1], "rows", (int64_t)D.capacity, &rows)) return false;
  if (!get_view(env, argv[2], "bitmap", &a->bitmap)) return false;
  if (!get_count(env, argv[3], "row", INT32_MAX, &row)) return false;
  a->rows = (size_t)rows;
  a->row = (size_t)row;
  if ((a->row + a->rows + 7) / 8 > a->bitmap.len) {
    range_error(env, "bitmap too small for rows [row, row + rows)");
    return false;
  }
  return true;
}

static napi_value return_count(napi_env env, double n) {
  napi_value r;
  CHECK(env, napi_create_double(env, n, &r));
  return r;
}

static napi_value export_fixed(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return type_error(env, "exportFixed(vector, rows, bitmap, row, width, data)");
  export_args a;
  int64_t width;
  view_t out;
  if (!export_common(env, argv, &a)) return NULL;
  if (!get_count(env, argv[4], "width", 16, &width)) return NULL;
  if (width == 0) return range_error(env, "width must be > 0");
  if (!get_view(env, argv[5], "data", &out)) return NULL;
  if ((a.row + a.rows) * (size_t)width > out.len) return range_error(env, "data too small for rows [row, row + rows)");
  size_t nulls = copy_validity(a.vector, a.rows, a.bitmap.data, a.row);
  copy_fixed(a.vector, a.rows, a.row, (size_t)width, out.data);
  return return_count(env, (double)nulls);
}

static napi_value export_bool(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return type_error(env, "exportBool(vector, rows, bitmap, row, bits)");
  export_args a;
  view_t out;
  if (!export_common(env, argv, &a)) return NULL;
  if (!get_view(env, argv[4], "bits", &out)) return NULL;
  if ((a.row + a.rows + 7) / 8 > out.len) return range_error(env, "bits too small for rows [row, row + rows)");
  size_t nulls = copy_validity(a.vector, a.rows, a.bitmap.data, a.row);
  copy_bool(a.vector, a.rows, a.row, out.data);
  return return_count(env, (double)nulls);
}

static napi_value export_decimal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return type_error(env, "exportDecimal(vector, rows, bitmap, row, width, data)");
  export_args a;
  int64_t width;
  view_t out;
  if (!export_common(env, argv, &a)) return NULL;
  if (!get_count(env, argv[4], "width", 8, &width)) return NULL;
  if (width != 2 && width != 4 && width != 8) return range_error(env, "exportDecimal: width must be 2, 4 or 8");
  if (!get_view(env, argv[5], "data", &out)) return NULL;
  if ((a.row + a.rows) * 16 > out.len) return range_error(env, "data too small for rows [row, row + rows)");
  size_t nulls = copy_validity(a.vector, a.rows, a.bitmap.data, a.row);
  copy_decimal(a.vector, a.rows, a.row, (size_t)width, out.data);
  return return_count(env, (double)nulls);
}

static napi_value export_strings(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return type_error(env, "exportStrings(vector, rows, bitmap, row, offsets, data)");
  export_args a;
  view_t offsets_v, out;
  if (!export_common(env, argv, &a)) return NULL;
  if (!get_view(env, argv[4], "offsets", &offsets_v)) return NULL;
  if (offsets_v.type != napi_int32_array) return type_error(env, "offsets must be an Int32Array");
  if (!get_view(env, argv[5], "data", &out)) return NULL;
  if ((a.row + a.rows + 1) * 4 > offsets_v.len) return range_error(env, "offsets too small for rows [row, row + rows]");
  int32_t *offsets = (int32_t *)(void *)offsets_v.data;
  int32_t start = offsets[a.row];
  if (start < 0 || (size_t)start > out.len) return range_error(env, "offsets[row] is outside data");
  /* Payload size first: the caller grows `data` (at most once per vector) when it is short. */
  uint64_t end = strings_end(a.vector, a.rows, (uint64_t)start);
  if (end > (uint64_t)out.len || end > (uint64_t)INT32_MAX) return return_count(env, -(double)end - 1);
  size_t nulls = copy_validity(a.vector, a.rows, a.bitmap.data, a.row);
  copy_strings(a.vector, a.rows, a.row, offsets, out.data);
  return return_count(env, (double)nulls);
}

// ------------------------------------------------------------------------------------------------
// DuckDB -> Arrow, whole batches from a query result on a worker thread (JS: exportOpen, exportFill)
//
// exportOpen(result, kinds: Int32Array, widths: Int32Array) -> stream
//   `result` is a @duckdb/node-bindings Result (what DuckDBResult wraps); kinds[c] is 0 fixed-width
//   (widths[c] bytes), 1 BOOLEAN, 2 DECIMAL stored in widths[c] (2/4/8) bytes, 3 VARCHAR/BLOB.
// exportFill(stream, row, target, maxStringBytes, buffers, status: Float64Array) -> Promise<rows added>
//   Fetches chunks (duckdb_fetch_chunk) and appends them at `row` of the batch buffers, on a
//   worker thread, until the batch has >= target rows, the string columns together hold >=
//   maxStringBytes, a string column's `data` is too small for the next chunk, or the result ends.
//   buffers: per column [bitmap, data] ([bitmap, offsets, data] for strings), as for the
//   one-vector functions; they must not be touched until the promise settles. status (length
//   2 * columns + 1): [c] NULLs added to column c; [columns + c] bytes column c's `data` needs
//   for the next chunk (0 unless it stopped for that); [2 * columns] flags: 1 the result ended,
//   2 a string buffer must grow (the chunk is kept for the next call), 4 maxStringBytes reached.
//   A query error rejects with DuckDB's message.

/* The type tag @duckdb/node-bindings puts on its Result externals (a duckdb_result *). */
static const napi_type_tag RESULT_TAG = {0x08F7FE3AE12345E5ULL, 0x8733310DC29372D9ULL};
/* Marks exportOpen's stream externals. */
static const napi_type_tag STREAM_TAG = {0x6270206475636b64ULL, 0x622073747265616dULL};

enum { FLAG_END = 1, FLAG_GROW = 2, FLAG_STRINGS_FULL = 4 };

typedef struct {
  duckdb_result *result;
  napi_ref result_ref; /* keeps the Result (so the duckdb_result) alive */
  size_t ncols;
  int *kinds;
  size_t *widths;
  duckdb_data_chunk pending; /* fetched, not yet appended (it did not fit) */
  bool busy;
} stream_t;

typedef struct {
  uint8_t *bitmap;
  size_t bitmap_len;
  uint8_t *data;
  size_t data_len;
  int32_t *offsets; /* strings */
  size_t offsets_len; /* entries */
} col_out_t;

typedef struct {
  stream_t *stream;
  size_t row0, target;
  uint64_t max_string_bytes;
  col_out_t *cols;
  double *status;
  napi_ref buffers_ref, status_ref, stream_ref;
  napi_deferred deferred;
  napi_async_work work;
  size_t added;
  char error[512];
} fill_t;

static void stream_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  stream_t *s = data;
  if (s->pending) D.destroy_data_chunk(&s->pending);
  if (s->result_ref) napi_delete_reference(env, s->result_ref);
  free(s->kinds);
  free(s->widths);
  free(s);
}

static napi_value export_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return type_error(env, "exportOpen(result, kinds, widths)");
  if (!D.bound) return type_error(env, "the DuckDB bridge is not bound (call duckdbBind first)");
  napi_valuetype t;
  bool tagged = false;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_check_object_type_tag(env, argv[0], &RESULT_TAG, &tagged) != napi_ok || !tagged) {
    return type_error(env, "exportOpen: expected a @duckdb/node-bindings Result");
  }
  void *p = NULL;
  CHECK(env, napi_get_value_external(env, argv[0], &p));
  if (p == NULL) return type_error(env, "exportOpen: the Result external is empty");
  view_t kinds, widths;
  if (!get_view(env, argv[1], "kinds", &kinds) || !get_view(env, argv[2], "widths", &widths)) return NULL;
  if (kinds.type != napi_int32_array || widths.type != napi_int32_array || kinds.len != widths.len || kinds.len == 0) {
    return type_error(env, "exportOpen: kinds and widths must be Int32Arrays of one entry per column");
  }
  size_t n = kinds.len / 4;
  const int32_t *k = (const int32_t *)(const void *)kinds.data;
  const int32_t *w = (const int32_t *)(const void *)widths.data;
  for (size_t c = 0; c < n; c++) {
    bool ok = (k[c] == COL_FIXED && w[c] >= 1 && w[c] <= 16) || k[c] == COL_BOOL || k[c] == COL_STRING ||
              (k[c] == COL_DECIMAL && (w[c] == 2 || w[c] == 4 || w[c] == 8));
    if (!ok) return range_error(env, "exportOpen: bad column kind or width");
  }
  stream_t *s = calloc(1, sizeof *s);
  if (s == NULL || (s->kinds = calloc(n, sizeof *s->kinds)) == NULL || (s->widths = calloc(n, sizeof *s->widths)) == NULL) {
    if (s) free(s->kinds);
    free(s);
    napi_throw_error(env, "ENOMEM", "bp_native: out of memory");
    return NULL;
  }
  s->result = p;
  s->ncols = n;
  for (size_t c = 0; c < n; c++) {
    s->kinds[c] = k[c];
    s->widths[c] = (size_t)w[c];
  }
  napi_value ext;
  if (napi_create_reference(env, argv[0], 1, &s->result_ref) != napi_ok ||
      napi_create_external(env, s, stream_finalize, NULL, &ext) != napi_ok) {
    if (s->result_ref) napi_delete_reference(env, s->result_ref);
    free(s->kinds);
    free(s->widths);
    free(s);
    bridge_throw_napi(env, "exportOpen");
    return NULL;
  }
  napi_type_tag_object(env, ext, &STREAM_TAG);
  return ext;
}

/* Rows the batch buffers of every column can hold. */
static size_t fill_capacity(const fill_t *f) {
  size_t cap = SIZE_MAX;
  for (size_t c = 0; c < f->stream->ncols; c++) {
    const col_out_t *o = &f->cols[c];
    size_t w = f->stream->widths[c], rows;
    switch (f->stream->kinds[c]) {
      case COL_FIXED: rows = o->data_len / w; break;
      case COL_BOOL: rows = o->data_len * 8; break;
      case COL_DECIMAL: rows = o->data_len / 16; break;
      default: rows = o->offsets_len > 0 ? o->offsets_len - 1 : 0;
    }
    if (o->bitmap_len * 8 < rows) rows = o->bitmap_len * 8;
    if (rows < cap) cap = rows;
  }
  return cap;
}

static void fill_execute(napi_env env, void *data) {
  (void)env;
  fill_t *f = data;
  stream_t *s = f->stream;
  size_t n_cols = s->ncols;
  double *status = f->status;
  for (size_t i = 0; i < 2 * n_cols + 1; i++) status[i] = 0;
  size_t capacity = fill_capacity(f);
  size_t row = f->row0;
  int flags = 0;
  while (row < f->target) {
    duckdb_data_chunk chunk = s->pending;
    s->pending = NULL;
    if (chunk == NULL) {
      chunk = D.fetch_chunk(*s->result);
      const char *err = D.result_error(s->result);
      if (err != NULL) {
        if (chunk) D.destroy_data_chunk(&chunk);
        snprintf(f->error, sizeof f->error, "%s", err);
        break;
      }
    }
    if (chunk == NULL) {
      flags |= FLAG_END;
      break;
    }
    size_t n = (size_t)D.data_chunk_get_size(chunk);
    if (n == 0) {
      D.destroy_data_chunk(&chunk);
      flags |= FLAG_END;
      break;
    }
    idx_t chunk_cols = D.data_chunk_get_column_count(chunk);
    if ((size_t)chunk_cols != n_cols) {
      D.destroy_data_chunk(&chunk);
      snprintf(f->error, sizeof f->error, "bp_native: a data chunk has %llu columns, expected %zu", (unsigned long long)chunk_cols, n_cols);
      break;
    }
    if (row + n > capacity) {
      s->pending = chunk;
      if (row == f->row0) snprintf(f->error, sizeof f->error, "bp_native: exportFill: the batch buffers cannot hold a %zu-row chunk at row %zu", n, row);
      break;
    }
    /* Room for the strings? Otherwise keep the chunk and say how much each column needs. */
    bool fits = true;
    for (size_t c = 0; c < n_cols; c++) {
      if (s->kinds[c] != COL_STRING) continue;
      col_out_t *o = &f->cols[c];
      uint64_t end = strings_end(D.data_chunk_get_vector(chunk, c), n, (uint64_t)o->offsets[row]);
      if (end > (uint64_t)o->data_len) {
        status[n_cols + c] = (double)end;
        fits = false;
      }
    }
    if (!fits) {
      s->pending = chunk;
      flags |= FLAG_GROW;
      break;
    }
    uint64_t string_bytes = 0;
    for (size_t c = 0; c < n_cols; c++) {
      duckdb_vector v = D.data_chunk_get_vector(chunk, c);
      col_out_t *o = &f->cols[c];
      status[c] += (double)copy_validity(v, n, o->bitmap, row);
      switch (s->kinds[c]) {
        case COL_FIXED: copy_fixed(v, n, row, s->widths[c], o->data); break;
        case COL_BOOL: copy_bool(v, n, row, o->data); break;
        case COL_DECIMAL: copy_decimal(v, n, row, s->widths[c], o->data); break;
        default:
          copy_strings(v, n, row, o->offsets, o->data);
          string_bytes += (uint64_t)o->offsets[row + n];
      }
    }
    D.destroy_data_chunk(&chunk);
    row += n;
    if (string_bytes >= f->max_string_bytes) {
      flags |= FLAG_STRINGS_FULL;
      break;
    }
  }
  f->added = row - f->row0;
  status[2 * n_cols] = flags;
}

static void fill_complete(napi_env env, napi_status status, void *data) {
  fill_t *f = data;
  f->stream->busy = false;
  napi_value v = NULL;
  if (status != napi_ok && f->error[0] == '\0') snprintf(f->error, sizeof f->error, "bp_native: exportFill was cancelled");
  if (f->error[0] != '\0') {
    napi_value msg;
    if (napi_create_string_utf8(env, f->error, NAPI_AUTO_LENGTH, &msg) == napi_ok && napi_create_error(env, NULL, msg, &v) == napi_ok) {
      napi_reject_deferred(env, f->deferred, v);
    }
  } else if (napi_create_double(env, (double)f->added, &v) == napi_ok) {
    napi_resolve_deferred(env, f->deferred, v);
  }
  napi_delete_reference(env, f->buffers_ref);
  napi_delete_reference(env, f->status_ref);
  napi_delete_reference(env, f->stream_ref);
  napi_delete_async_work(env, f->work);
  free(f->cols);
  free(f);
}

static bool get_col_view(napi_env env, napi_value arr, uint32_t i, const char *what, view_t *out) {
  napi_value v;
  if (napi_get_element(env, arr, i, &v) != napi_ok) {
    bridge_throw_napi(env, "napi_get_element");
    return false;
  }
  return get_view(env, v, what, out);
}

static napi_value export_fill(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return type_error(env, "exportFill(stream, row, target, maxStringBytes, buffers, status)");
  napi_valuetype t;
  bool tagged = false;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_check_object_type_tag(env, argv[0], &STREAM_TAG, &tagged) != napi_ok || !tagged) {
    return type_error(env, "exportFill: expected a stream from exportOpen");
  }
  void *p;
  CHECK(env, napi_get_value_external(env, argv[0], &p));
  stream_t *s = p;
  if (s->busy) {
    napi_throw_error(env, NULL, "bp_native: exportFill: the previous call on this stream has not finished");
    return NULL;
  }
  int64_t row0, target, max_bytes;
  if (!get_count(env, argv[1], "row", INT32_MAX, &row0) || !get_count(env, argv[2], "target", INT32_MAX, &target) ||
      !get_count(env, argv[3], "maxStringBytes", INT32_MAX, &max_bytes)) {
    return NULL;
  }
  bool is_array = false;
  uint32_t len = 0;
  CHECK(env, napi_is_array(env, argv[4], &is_array));
  if (is_array) CHECK(env, napi_get_array_length(env, argv[4], &len));
  size_t expected = 0;
  for (size_t c = 0; c < s->ncols; c++) expected += s->kinds[c] == COL_STRING ? 3 : 2;
  if (!is_array || len != expected) return type_error(env, "exportFill: buffers must be [bitmap, data] per column ([bitmap, offsets, data] for strings)");
  view_t st;
  if (!get_view(env, argv[5], "status", &st)) return NULL;
  if (st.type != napi_float64_array || st.len < (2 * s->ncols + 1) * 8) return type_error(env, "exportFill: status must be a Float64Array of 2 * columns + 1");

  col_out_t *cols = calloc(s->ncols, sizeof *cols);
  if (cols == NULL) {
    napi_throw_error(env, "ENOMEM", "bp_native: out of memory");
    return NULL;
  }
  uint32_t k = 0;
  for (size_t c = 0; c < s->ncols; c++) {
    view_t bm, a, b;
    col_out_t *o = &cols[c];
    if (!get_col_view(env, argv[4], k++, "bitmap", &bm)) goto fail;
    o->bitmap = bm.data;
    o->bitmap_len = bm.len;
    if (s->kinds[c] == COL_STRING) {
      if (!get_col_view(env, argv[4], k++, "offsets", &a) || !get_col_view(env, argv[4], k++, "data", &b)) goto fail;
      if (a.type != napi_int32_array) {
        type_error(env, "exportFill: string offsets must be an Int32Array");
        goto fail;
      }
      o->offsets = (int32_t *)(void *)a.data;
      o->offsets_len = a.len / 4;
      o->data = b.data;
      o->data_len = b.len;
      if (o->offsets_len <= (size_t)row0 || o->offsets[row0] < 0 || (size_t)o->offsets[row0] > o->data_len) {
        range_error(env, "exportFill: offsets[row] is outside a string column's data");
        goto fail;
      }
    } else {
      if (!get_col_view(env, argv[4], k++, "data", &a)) goto fail;
      o->data = a.data;
      o->data_len = a.len;
    }
  }

  fill_t *f = calloc(1, sizeof *f);
  if (f == NULL) {
    napi_throw_error(env, "ENOMEM", "bp_native: out of memory");
    goto fail;
  }
  f->stream = s;
  f->row0 = (size_t)row0;
  f->target = (size_t)target;
  f->max_string_bytes = (uint64_t)max_bytes;
  f->cols = cols;
  f->status = (double *)(void *)st.data;
  if (fill_capacity(f) < f->row0) {
    free(f);
    range_error(env, "exportFill: row is beyond the batch buffers");
    goto fail;
  }
  napi_value promise, name;
  if (napi_create_reference(env, argv[4], 1, &f->buffers_ref) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &f->status_ref) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &f->stream_ref) != napi_ok ||
      napi_create_promise(env, &f->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "bp_native.exportFill", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, fill_execute, fill_complete, f, &f->work) != napi_ok ||
      napi_queue_async_work(env, f->work) != napi_ok) {
    /* Not reached in practice (only on a broken env); the references may leak. */
    bridge_throw_napi(env, "exportFill");
    return NULL;
  }
  s->busy = true;
  return promise;

fail:
  free(cols);
  return NULL;
}

// ------------------------------------------------------------------------------------------------
// Arrow -> DuckDB

/* Parses (vector, dst, n) and checks [dst, dst + n) fits a vector. */
static bool import_common(napi_env env, napi_value *argv, duckdb_vector *vector, size_t *dst, size_t *n) {
  int64_t d, k;
  if (!get_vector(env, argv[0], vector)) return false;
  if (!get_count(env, argv[1], "dst", (int64_t)D.capacity, &d)) return false;
  if (!get_count(env, argv[2], "n", (int64_t)D.capacity, &k)) return false;
  if (d + k > (int64_t)D.capacity) {
    range_error(env, "rows [dst, dst + n) exceed the vector size");
    return false;
  }
  *dst = (size_t)d;
  *n = (size_t)k;
  return true;
}

static napi_value import_fixed(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return type_error(env, "importFixed(vector, dst, n, width, src, srcByteOffset)");
  duckdb_vector vector;
  size_t dst, n;
  int64_t width, off;
  view_t src;
  if (!import_common(env, argv, &vector, &dst, &n)) return NULL;
  if (!get_count(env, argv[3], "width", 16, &width)) return NULL;
  if (width == 0) return range_error(env, "width must be > 0");
  if (!get_view(env, argv[4], "src", &src)) return NULL;
  if (!get_count(env, argv[5], "srcByteOffset", INT64_C(1) << 52, &off)) return NULL;
  size_t bytes = n * (size_t)width;
  if ((size_t)off > src.len || bytes > src.len - (size_t)off) return range_error(env, "src too small for n values at srcByteOffset");
  if (bytes > 0) memcpy((uint8_t *)D.vector_get_data(vector) + dst * (size_t)width, src.data + off, bytes);
  return NULL;
}

static napi_value import_bool(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return type_error(env, "importBool(vector, dst, n, bits, srcBit)");
  duckdb_vector vector;
  size_t dst, n;
  int64_t bit0;
  view_t bits;
  if (!import_common(env, argv, &vector, &dst, &n)) return NULL;
  if (!get_view(env, argv[3], "bits", &bits)) return NULL;
  if (!get_count(env, argv[4], "srcBit", INT64_C(1) << 52, &bit0)) return NULL;
  if (((size_t)bit0 + n + 7) / 8 > bits.len) return range_error(env, "bits too small for n values at srcBit");
  uint8_t *out = (uint8_t *)D.vector_get_data(vector) + dst;
  for (size_t i = 0; i < n; i++) {
    size_t b = (size_t)bit0 + i;
    out[i] = (uint8_t)((bits.data[b >> 3] >> (b & 7)) & 1);
  }
  return NULL;
}

static napi_value import_strings(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return type_error(env, "importStrings(vector, dst, n, bytes, offsets, first, validity, ends?, borrow?)");
  duckdb_vector vector;
  size_t dst, n;
  int64_t first;
  view_t bytes, offs, ends = {0}, validity = {0};
  if (!import_common(env, argv, &vector, &dst, &n)) return NULL;
  if (!get_view(env, argv[3], "bytes", &bytes)) return NULL;
  if (!get_view(env, argv[4], "offsets", &offs)) return NULL;
  if (!get_count(env, argv[5], "first", INT64_C(1) << 52, &first)) return NULL;
  bool has_validity = !is_nullish(env, argv[6]);
  if (has_validity) {
    if (!get_view(env, argv[6], "validity", &validity)) return NULL;
    if ((dst + n + 7) / 8 > validity.len) return range_error(env, "validity too small for rows [dst, dst + n)");
  }
  bool borrow = false;
  if (argc >= 9 && !is_nullish(env, argv[8])) CHECK(env, napi_get_value_bool(env, argv[8], &borrow));
  bool ranges = offs.type == napi_float64_array;
  size_t need; /* offset entries needed from `first` on */
  if (ranges) {
    if (argc < 8 || is_nullish(env, argv[7])) return type_error(env, "importStrings: Float64Array starts need Float64Array ends");
    if (!get_view(env, argv[7], "ends", &ends)) return NULL;
    if (ends.type != napi_float64_array) return type_error(env, "ends must be a Float64Array");
    need = n;
    if ((size_t)first + need > ends.len / 8) return range_error(env, "ends too small for n strings at first");
  } else if (offs.type == napi_int32_array || offs.type == napi_bigint64_array) {
    need = n + 1;
  } else {
    return type_error(env, "offsets must be an Int32Array, a BigInt64Array or a Float64Array");
  }
  size_t owidth = offs.type == napi_int32_array ? 4 : 8;
  if (n > 0 && (size_t)first + need > offs.len / owidth) return range_error(env, "offsets too small for n strings at first");

  /* Validate every range first: nothing is written when one is bad. */
  const int32_t *o32 = (const int32_t *)(const void *)offs.data + first;
  const int64_t *o64 = (const int64_t *)(const void *)offs.data + first;
  const double *sd = (const double *)(const void *)offs.data + first;
  const double *ed = ranges ? (const double *)(const void *)ends.data + first : NULL;
  for (size_t i = 0; i < n; i++) {
    size_t row = dst + i;
    if (has_validity && !((validity.data[row >> 3] >> (row & 7)) & 1)) continue;
    double s, e;
    if (ranges) {
      s = sd[i];
      e = ed[i];
    } else if (owidth == 4) {
      s = o32[i];
      e = o32[i + 1];
    } else {
      s = (double)o64[i];
      e = (double)o64[i + 1];
    }
    if (!(s >= 0 && e >= s && e <= (double)bytes.len) || s != (double)(int64_t)s || e != (double)(int64_t)e) {
      return range_error(env, "importStrings: a string's range is outside bytes");
    }
  }

  duckdb_string_t *out = (duckdb_string_t *)D.vector_get_data(vector) + dst;
  for (size_t i = 0; i < n; i++) {
    size_t row = dst + i;
    memset(&out[i], 0, sizeof out[i]);
    if (has_validity && !((validity.data[row >> 3] >> (row & 7)) & 1)) continue;
    size_t s, e;
    if (ranges) {
      s = (size_t)sd[i];
      e = (size_t)ed[i];
    } else if (owidth == 4) {
      s = (size_t)o32[i];
      e = (size_t)o32[i + 1];
    } else {
      s = (size_t)o64[i];
      e = (size_t)o64[i + 1];
    }
    size_t len = e - s;
    if (len <= 12) {
      out[i].value.inlined.length = (uint32_t)len;
      memcpy(out[i].value.inlined.inlined, bytes.data + s, len);
    } else if (borrow) {
      out[i].value.pointer.length = (uint32_t)len;
      memcpy(out[i].value.pointer.prefix, bytes.data + s, 4);
      out[i].value.pointer.ptr = (char *)bytes.data + s;
    } else {
      D.vector_assign_string_element_len(vector, (idx_t)row, (const char *)bytes.data + s, (idx_t)len);
    }
  }
  return NULL;
}

// ------------------------------------------------------------------------------------------------

napi_status bp_duckdb_bridge_init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {
      {"duckdbBind", duckdb_bind},       {"exportFixed", export_fixed},   {"exportBool", export_bool},
      {"exportDecimal", export_decimal}, {"exportStrings", export_strings}, {"importFixed", import_fixed},
      {"importBool", import_bool},       {"importStrings", import_strings}, {"exportOpen", export_open},
      {"exportFill", export_fill},
  };
  napi_status st;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if ((st = napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn)) != napi_ok) return st;
    if ((st = napi_set_named_property(env, exports, fns[i].name, fn)) != napi_ok) return st;
  }
  napi_value abi;
  if ((st = napi_create_int32(env, BRIDGE_ABI, &abi)) != napi_ok) return st;
  return napi_set_named_property(env, exports, "duckdbAbi", abi);
}

