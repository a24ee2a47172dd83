{
  "targets": [
    {
      "target_name": "bp_native",
      "sources": ["src/bp_native.c", "src/duckdb_bridge.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "libraries": ["-ldl"]
    }
  ]
}
