/* The DuckDB <-> Arrow part of bp_native (duckdb_bridge.c): adds its functions to `exports`. */
#ifndef BP_DUCKDB_BRIDGE_H
#define BP_DUCKDB_BRIDGE_H
#include <node_api.h>
napi_status bp_duckdb_bridge_init(napi_env env, napi_value exports);
#endif
