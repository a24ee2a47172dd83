/**
 * Everything the lake stores goes through this interface, so a second backend (S3 with
 * conditional writes) can replace the local one without touching the catalog logic.
 *
 * Keys are `/`-separated paths relative to the lake root (`refs/branches/main`,
 * `commits/<id>.json`, `data/<table>/<uuid>.parquet`).
 *
 * Mapping to S3 (s3-storage.ts):
 *   read            GET (version = ETag)
 *   putIfAbsent     PUT with `If-None-Match: *`
 *   putIfVersion    PUT with `If-Match: <etag>` (or `If-None-Match: *` when expected is null);
 *                   on servers that ignore both: read-compare-write under a lock on this host
 *   list            ListObjectsV2 (paginated)
 *   delete          DELETE
 *   prepareWrite    a local staging file; `sync` uploads it (multipart when large)
 *   prepareScan     fetches the column chunks a scan needs into the scan cache (scan-cache/)
 *   location        the staged file, else the scan cache's local (sparse) copy
 */

/** What a scan cost in remote reads: bytes fetched now vs bytes already in the local cache. */
export interface ScanFetchReport {
  /** Remote data files prepared (local and staged files are not counted). */
  files: number;
  bytesFetched: number;
  bytesFromCache: number;
  /** Ranged GETs (and HEADs) sent. */
  requests: number;
}

export interface StoredObject {
  readonly data: Buffer;
  /** Opaque token naming this exact content, for `putIfVersion` (local: sha256 of the bytes; S3: ETag). */
  readonly version: string;
}

export interface LakeStorage {
  /** Human-readable location of the lake (a folder, or an `s3://` URL). */
  readonly root: string;

  /** The object, or null when it does not exist. */
  read(key: string): Promise<StoredObject | null>;

  /**
   * Creates the object atomically and durably, never replacing an existing one.
   * Returns false (and writes nothing) when the key already exists.
   */
  putIfAbsent(key: string, data: Buffer): Promise<boolean>;

  /**
   * Compare-and-swap: writes `data` only if the object's current version is `expectedVersion`
   * (`null`: only if the object does not exist). Atomic and durable; readers see the old or the new
   * content, never a mix. Returns false (and writes nothing) when the version did not match.
   */
  putIfVersion(key: string, data: Buffer, expectedVersion: string | null): Promise<boolean>;

  /** Keys starting with `prefix`, sorted. Temporary and lock files are not listed. */
  list(prefix: string): Promise<string[]>;

  /** Removes the object; a missing object is not an error. */
  delete(key: string): Promise<void>;

  /** Size of the object in bytes, or null when it does not exist. */
  size(key: string): Promise<number | null>;

  /** What DuckDB should read for this key (local: absolute path; S3: `s3://` URL). */
  location(key: string): string;

  /**
   * Where a writer (DuckDB `COPY ... TO`) should write a new object for this key. Synchronous;
   * locally it creates the parent folders.
   */
  prepareWrite(key: string): string;

  /** Makes an object written through `prepareWrite` durable (local: fsync; S3: nothing to do). */
  sync(key: string): Promise<void>;

  /**
   * Optional (remote backends): makes `location(key)` of each key readable by DuckDB for a scan that
   * reads `columns` (null: every column), fetching only what the local cache lacks. Must be awaited
   * before DuckDB reads those locations. Absent: `location` is always readable (local disk).
   */
  prepareScan?(keys: readonly string[], columns: readonly string[] | null): Promise<ScanFetchReport>;

  /** Optional tidy-up after `delete`: remove now-empty folders above the key (local only). */
  pruneEmptyParents?(key: string): Promise<void>;

  /** Optional: releases network resources (S3: the SDK's keep-alive sockets). The storage is unusable after. */
  destroy?(): void;
}
