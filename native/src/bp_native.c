/*
 * bp_native: memory-mapped files as JS ArrayBuffers, for zero-copy reads of Arrow IPC files.
 *
 * Only the stable Node-API (NAPI_VERSION 8, set in binding.gyp) is used, so one build loads on
 * every Node release that has Node-API 8 (Node 20, 22, 24, ...). The JS side is
 * runtime/native/index.ts.
 *
 *   mapFile(path, mode?) -> ArrayBuffer
 *     Maps the whole file. The ArrayBuffer's memory IS the mapping (napi_create_external_arraybuffer);
 *     it is unmapped when the ArrayBuffer is garbage collected (or the process exits). The file may be
 *     unlinked right after: the mapping keeps its pages. A zero-length file gives an empty ArrayBuffer.
 *     mode "shared" (default): PROT_READ + MAP_SHARED. Strictly read-only: a JS write into the
 *       buffer kills the process with SIGSEGV.
 *     mode "private": PROT_READ|PROT_WRITE + MAP_PRIVATE|MAP_NORESERVE, i.e. copy-on-write. Reads
 *       share the page cache exactly like "shared" (same physical pages, counted once in PSS); a JS
 *       write copies just the written page into the process, and never reaches the file.
 *     Failures throw an Error with .code (e.g. "ENOENT"), .errno, .syscall and .path.
 *
 *   mapRange(path, offset, length, mode?) -> Uint8Array
 *     Maps bytes [offset, offset + length) of the file (same modes, unmapping and errors as
 *     mapFile) and returns a Uint8Array of exactly those bytes. The mapping itself starts at the
 *     page holding `offset` (the view's .buffer is that mapping). Lets a file be mapped in pieces,
 *     each under the largest ArrayBuffer the running Node can make (4 GiB on Node 20).
 *
 *   advise(buffer, advice) -> undefined
 *     madvise() over a mapped ArrayBuffer (or a view of one): "normal" | "sequential" | "random" |
 *     "willneed". Throws for a buffer that mapFile did not create.
 *
 *   isMapped(buffer) -> boolean
 *     True for an ArrayBuffer (or a view of one) created by mapFile or mapRange (empty files excepted).
 *
 *   release(buffer) -> boolean
 *     Detaches a mapFile (or mapRange) ArrayBuffer (given itself or a view of it): every view of it becomes
 *     empty (reads give undefined, never a fault) and the mapping is unmapped as soon as Node
 *     frees the backing store, instead of at some later garbage collection. For a file that is
 *     deleted next, this returns its pages (e.g. /dev/shm space) right away. False (and nothing
 *     done) for a buffer that mapFile did not create or that is already detached.
 *
 *   abi -> number   version of this interface, checked by the JS loader.
 *
 * The DuckDB <-> Arrow bridge (duckdbBind, exportStrings, importStrings, ...; its own version in
 * duckdbAbi) lives in duckdb_bridge.c.
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duckdb_bridge.h"

#define BP_NATIVE_ABI 2

/* Marks ArrayBuffers created by mapFile and mapRange (napi_type_tag_object, Node-API 8). */
static const napi_type_tag MAPPED_TAG = {0x6270206e61746976ULL, 0x65206d6d61702031ULL};

#define NAPI_CALL(env, call)                                   \
  do {                                                         \
    if ((call) != napi_ok) {                                   \
      throw_last_napi_error((env), #call);                     \
      return NULL;                                             \
    }                                                          \
  } while (0)

static void throw_last_napi_error(napi_env env, const char *what) {
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

static const char *errno_code(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EOVERFLOW: return "EOVERFLOW";
    case EAGAIN: return "EAGAIN";
    case EFBIG: return "EFBIG";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case ETXTBSY: return "ETXTBSY";
    case ENOTSUP: return "ENOTSUP";
    default: return "EUNKNOWN";
  }
}

static void set_prop(napi_env env, napi_value obj, const char *name, napi_value value) {
  if (value != NULL) napi_set_named_property(env, obj, name, value);
}

/* Throws an Error shaped like Node's fs errors: "ENOENT: no such file or directory, open '/x'". */
static void throw_errno(napi_env env, int err, const char *syscall, const char *path, const char *detail) {
  const char *code = errno_code(err);
  size_t n = strlen(path) + 512;
  char *msg = malloc(n);
  if (msg == NULL) {
    napi_throw_error(env, code, "bp_native: out of memory while reporting an error");
    return;
  }
  if (detail != NULL) {
    snprintf(msg, n, "%s: %s, %s '%s'", code, detail, syscall, path);
  } else {
    /* Node's style: "ENOENT: no such file or directory, open '/x'" (strerror, first letter lowered) */
    char text[256];
    snprintf(text, sizeof text, "%s", strerror(err));
    if (text[0] >= 'A' && text[0] <= 'Z') text[0] = (char)(text[0] - 'A' + 'a');
    snprintf(msg, n, "%s: %s, %s '%s'", code, text, syscall, path);
  }
  napi_value code_v = NULL, msg_v = NULL, error = NULL, errno_v = NULL, syscall_v = NULL, path_v = NULL;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v);
  free(msg);
  if (napi_create_error(env, code_v, msg_v, &error) != napi_ok) {
    napi_throw_error(env, code, "bp_native: mapFile failed");
    return;
  }
  napi_create_int32(env, -err, &errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v);
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_v);
  set_prop(env, error, "errno", errno_v);
  set_prop(env, error, "syscall", syscall_v);
  set_prop(env, error, "path", path_v);
  napi_throw(env, error);
}

/* Reads a JS string argument into a malloc'd UTF-8 buffer (NULL + pending exception on failure). */
static char *get_string(napi_env env, napi_value value, const char *what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    char msg[128];
    snprintf(msg, sizeof msg, "bp_native: %s must be a string", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
  }
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    throw_last_napi_error(env, "napi_get_value_string_utf8");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, "ENOMEM", "bp_native: out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, s, len + 1, &len) != napi_ok) {
    free(s);
    throw_last_napi_error(env, "napi_get_value_string_utf8");
    return NULL;
  }
  return s;
}

static void unmap_finalizer(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

/* Reads the optional mode argument: false for "shared" (or undefined), true for "private". */
static bool get_mode(napi_env env, napi_value value, bool *private_cow) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) {
    throw_last_napi_error(env, "napi_typeof");
    return false;
  }
  *private_cow = false;
  if (type == napi_undefined) return true;
  char *mode = get_string(env, value, "mode");
  if (mode == NULL) return false;
  bool ok = true;
  if (strcmp(mode, "private") == 0) {
    *private_cow = true;
  } else if (strcmp(mode, "shared") != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bp_native: the mode must be \"shared\" or \"private\"");
    ok = false;
  }
  free(mode);
  return ok;
}

/* A non-negative integer argument below 2^53 (file offsets and lengths). */
static bool get_size_arg(napi_env env, napi_value value, const char *what, uint64_t *out) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0 || d != (double)(uint64_t)d) {
    char msg[160];
    snprintf(msg, sizeof msg, "bp_native: %s must be a non-negative integer", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  *out = (uint64_t)d;
  return true;
}

/*
 * Maps bytes [offset, offset + length) of `path` (whole = true: the whole file, offset and length
 * ignored) and returns an ArrayBuffer whose memory IS the mapping. The mapping starts at the page
 * holding `offset`; *skip is set to the bytes before `offset` in it (0 for a whole file).
 */
static napi_value map_region(napi_env env, const char *path, bool private_cow, bool whole, uint64_t offset, uint64_t length,
                             size_t *skip) {
  *skip = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", path, NULL);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "fstat", path, NULL);
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    throw_errno(env, EISDIR, "mmap", path, "illegal operation on a directory");
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    throw_errno(env, ENODEV, "mmap", path, "not a regular file, cannot be mapped");
    return NULL;
  }
  if (whole) {
    offset = 0;
    length = (uint64_t)st.st_size;
  } else if (offset > (uint64_t)st.st_size || length > (uint64_t)st.st_size - offset) {
    close(fd);
    char detail[200];
    snprintf(detail, sizeof detail, "bytes [%llu, %llu) are past the end of the file (%llu bytes)", (unsigned long long)offset,
             (unsigned long long)(offset + length), (unsigned long long)st.st_size);
    throw_errno(env, EINVAL, "mmap", path, detail);
    return NULL;
  }

  napi_value result;
  if (length == 0) {
    close(fd);
    void *unused = NULL;
    NAPI_CALL(env, napi_create_arraybuffer(env, 0, &unused, &result));
    return result;
  }
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t start = offset - offset % page;
  uint64_t span = offset - start + length;
  if (span > (uint64_t)SIZE_MAX || start > (uint64_t)INT64_MAX) {
    close(fd);
    throw_errno(env, EFBIG, "mmap", path, "file too large to map");
    return NULL;
  }

  size_t size = (size_t)span;
  void *addr = private_cow ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, (off_t)start)
                           : mmap(NULL, size, PROT_READ, MAP_SHARED, fd, (off_t)start);
  int map_errno = errno;
  close(fd); /* the mapping holds its own reference to the file */
  if (addr == MAP_FAILED) {
    throw_errno(env, map_errno, "mmap", path, NULL);
    return NULL;
  }

  napi_status status =
      napi_create_external_arraybuffer(env, addr, size, unmap_finalizer, (void *)(uintptr_t)size, &result);
  if (status != napi_ok) {
    munmap(addr, size);
    /* E.g. Node 20 refuses ArrayBuffers over 4 GiB: "Cannot create a Buffer larger than ...". */
    char detail[400];
    const char *why = "napi_create_external_arraybuffer failed";
    char reason[300] = "";
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc, msg_v;
      size_t len = 0;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok &&
          napi_coerce_to_string(env, exc, &msg_v) == napi_ok &&
          napi_get_value_string_utf8(env, msg_v, reason, sizeof reason, &len) == napi_ok && len > 0) {
        why = reason;
      }
    } else {
      const napi_extended_error_info *ei = NULL;
      if (napi_get_last_error_info(env, &ei) == napi_ok && ei && ei->error_message) {
        snprintf(reason, sizeof reason, "%s", ei->error_message);
        why = reason;
      }
    }
    snprintf(detail, sizeof detail, "this Node cannot make an ArrayBuffer of %zu bytes over the mapping (%s)", size, why);
    throw_errno(env, EFBIG, "mmap", path, detail);
    return NULL;
  }
  /* Tagging can only fail on a non-object; the buffer is still valid, so ignore a failure here. */
  napi_type_tag_object(env, result, &MAPPED_TAG);
  *skip = (size_t)(offset - start);
  return result;
}

static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bp_native: mapFile(path, mode?) needs a path");
    return NULL;
  }
  bool private_cow = false;
  if (argc >= 2 && !get_mode(env, argv[1], &private_cow)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (path == NULL) return NULL;
  size_t skip;
  napi_value result = map_region(env, path, private_cow, true, 0, 0, &skip);
  free(path);
  return result;
}

static napi_value map_range(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bp_native: mapRange(path, offset, length, mode?) needs three arguments");
    return NULL;
  }
  uint64_t offset, length;
  if (!get_size_arg(env, argv[1], "offset", &offset) || !get_size_arg(env, argv[2], "length", &length)) return NULL;
  bool private_cow = false;
  if (argc >= 4 && !get_mode(env, argv[3], &private_cow)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (path == NULL) return NULL;
  size_t skip;
  napi_value buffer = map_region(env, path, private_cow, false, offset, length, &skip);
  free(path);
  if (buffer == NULL) return NULL;
  napi_value view;
  NAPI_CALL(env, napi_create_typedarray(env, napi_uint8_array, (size_t)length, buffer, skip, &view));
  return view;
}

/* The ArrayBuffer behind `value` (an ArrayBuffer or a typed array / DataView over one) and the
 * [start, start+len) byte range of the view. Returns false with a pending exception otherwise. */
static bool buffer_of(napi_env env, napi_value value, napi_value *buffer, uint8_t **start, size_t *len) {
  bool is;
  void *data = NULL;
  size_t offset = 0;
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    *buffer = value;
    if (napi_get_arraybuffer_info(env, value, &data, len) != napi_ok) return false;
    *start = data;
    return true;
  }
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length;
    if (napi_get_typedarray_info(env, value, &type, &length, &data, buffer, &offset) != napi_ok) return false;
    size_t width = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: width = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: width = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: width = 8; break;
      default: width = 1;
    }
    *start = data; /* already points at byteOffset */
    *len = length * width;
    return true;
  }
  if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    if (napi_get_dataview_info(env, value, len, &data, buffer, &offset) != napi_ok) return false;
    *start = data;
    return true;
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bp_native: expected an ArrayBuffer, a typed array or a DataView");
  return false;
}

static napi_value is_mapped(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool tagged = false;
  if (argc >= 1) {
    napi_value buffer;
    uint8_t *start;
    size_t len;
    bool is_object = false;
    napi_valuetype type;
    if (napi_typeof(env, argv[0], &type) == napi_ok && type == napi_object) is_object = true;
    if (is_object) {
      bool is_ab = false, is_ta = false, is_dv = false;
      napi_is_arraybuffer(env, argv[0], &is_ab);
      napi_is_typedarray(env, argv[0], &is_ta);
      napi_is_dataview(env, argv[0], &is_dv);
      if ((is_ab || is_ta || is_dv) && buffer_of(env, argv[0], &buffer, &start, &len)) {
        napi_check_object_type_tag(env, buffer, &MAPPED_TAG, &tagged);
      }
    }
  }
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, tagged, &result));
  return result;
}

static napi_value advise(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bp_native: advise(buffer, advice) needs two arguments");
    return NULL;
  }
  napi_value buffer;
  uint8_t *start;
  size_t len;
  if (!buffer_of(env, argv[0], &buffer, &start, &len)) return NULL;
  bool tagged = false;
  NAPI_CALL(env, napi_check_object_type_tag(env, buffer, &MAPPED_TAG, &tagged));
  if (!tagged) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bp_native: advise() takes a buffer created by mapFile()");
    return NULL;
  }
  char *name = get_string(env, argv[1], "advice");
  if (name == NULL) return NULL;
  int advice;
  if (strcmp(name, "normal") == 0) advice = MADV_NORMAL;
  else if (strcmp(name, "sequential") == 0) advice = MADV_SEQUENTIAL;
  else if (strcmp(name, "random") == 0) advice = MADV_RANDOM;
  else if (strcmp(name, "willneed") == 0) advice = MADV_WILLNEED;
  else {
    free(name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                          "bp_native: advice must be \"normal\", \"sequential\", \"random\" or \"willneed\"");
    return NULL;
  }
  free(name);
  if (len > 0) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)start & ~(page - 1);
    uintptr_t to = (uintptr_t)start + len;
    if (madvise((void *)from, to - from, advice) != 0) {
      throw_errno(env, errno, "madvise", "(mapped buffer)", NULL);
      return NULL;
    }
  }
  return NULL;
}

static napi_value release_mapping(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool released = false;
  napi_valuetype type;
  if (argc >= 1 && napi_typeof(env, argv[0], &type) == napi_ok && type == napi_object) {
    bool is_ab = false, is_ta = false, is_dv = false;
    napi_is_arraybuffer(env, argv[0], &is_ab);
    napi_is_typedarray(env, argv[0], &is_ta);
    napi_is_dataview(env, argv[0], &is_dv);
    napi_value buffer;
    uint8_t *start;
    size_t len;
    bool tagged = false, detached = true;
    if ((is_ab || is_ta || is_dv) && buffer_of(env, argv[0], &buffer, &start, &len) &&
        napi_check_object_type_tag(env, buffer, &MAPPED_TAG, &tagged) == napi_ok && tagged &&
        napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && !detached) {
      released = napi_detach_arraybuffer(env, buffer) == napi_ok;
    }
  }
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, released, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  NAPI_CALL(env, napi_create_function(env, "mapFile", NAPI_AUTO_LENGTH, map_file, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "mapFile", fn));
  NAPI_CALL(env, napi_create_function(env, "mapRange", NAPI_AUTO_LENGTH, map_range, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "mapRange", fn));
  NAPI_CALL(env, napi_create_function(env, "advise", NAPI_AUTO_LENGTH, advise, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "advise", fn));
  NAPI_CALL(env, napi_create_function(env, "isMapped", NAPI_AUTO_LENGTH, is_mapped, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "isMapped", fn));
  NAPI_CALL(env, napi_create_function(env, "release", NAPI_AUTO_LENGTH, release_mapping, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "release", fn));
  napi_value abi;
  NAPI_CALL(env, napi_create_int32(env, BP_NATIVE_ABI, &abi));
  NAPI_CALL(env, napi_set_named_property(env, exports, "abi", abi));
  NAPI_CALL(env, bp_duckdb_bridge_init(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
