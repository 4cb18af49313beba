-- 0002-jobs.sql - print jobs, their documents, document upload sessions and downloads.
-- Forward-only, like 0001-init.sql (whose conventions hold here too): store.c runs this file in
-- one transaction and then sets PRAGMA user_version to 2; no BEGIN/COMMIT here.
-- Deleting a printer deletes its jobs, and through them their documents, upload sessions and
-- downloads (ON DELETE CASCADE all the way down).
-- SPDX-License-Identifier: Apache-2.0

-- microsoft.graph.printJob. The id is the store's: AUTOINCREMENT keeps ids increasing and never
-- hands out one a deleted job had. started_at orders the queue (NULL until the job is started).
CREATE TABLE jobs (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id          TEXT NOT NULL,
  printer_id         TEXT NOT NULL REFERENCES printers (id) ON DELETE CASCADE,
  configuration_json TEXT NOT NULL,
  created_by_id      TEXT, -- the creating user's oid, NULL for none
  created_by_name    TEXT,
  created_by_upn     TEXT,
  created_by_app     TEXT,
  created_at         INTEGER NOT NULL,
  started_at         INTEGER,
  acknowledged_at    INTEGER,
  completed_at       INTEGER,
  state              TEXT NOT NULL CHECK (state IN ('unknown', 'pending', 'processing', 'paused',
                                                    'stopped', 'completed', 'canceled', 'aborted')),
  -- status.details: bit n set = printJobStateDetail member n.
  details            INTEGER NOT NULL DEFAULT 0 CHECK (details >= 0),
  is_acquired        INTEGER NOT NULL DEFAULT 0 CHECK (is_acquired IN (0, 1)),
  is_fetchable       INTEGER NOT NULL DEFAULT 0 CHECK (is_fetchable IN (0, 1)),
  error_code         INTEGER, -- NULL: errorCode null
  redirected_from    TEXT,
  redirected_to      TEXT
);
-- A printer's jobs of a tenant, in the list order (newest first).
CREATE INDEX jobs_tenant ON jobs (tenant_id, printer_id, created_at DESC, id DESC);
-- The queue: a printer's pending jobs by started_at, id. Also the foreign key's child index
-- (deleting a printer finds its jobs through it).
CREATE INDEX jobs_queue ON jobs (printer_id, state, started_at, id);

-- microsoft.graph.printDocument: exactly one per job, created with it.
CREATE TABLE documents (
  id            TEXT PRIMARY KEY NOT NULL,
  job_id        INTEGER NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
  display_name  TEXT,
  content_type  TEXT,
  size          INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
  uploaded_at   INTEGER,
  downloaded_at INTEGER
);

-- Upload sessions of a document (createUploadSession). received lists the byte ranges written
-- and durable ("a-b,c-d", closed ranges; "" none). At most one per document: creating one
-- deletes the others.
CREATE TABLE uploads (
  id            TEXT PRIMARY KEY NOT NULL,
  token         TEXT NOT NULL,
  tenant_id     TEXT NOT NULL,
  job_id        INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  document_id   TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  document_name TEXT,
  content_type  TEXT,
  size          INTEGER NOT NULL CHECK (size >= 0),
  expires_at    INTEGER NOT NULL,
  received      TEXT NOT NULL DEFAULT ''
);
-- The sessions of a document (replacing them; the foreign key's child index).
CREATE INDEX uploads_document ON uploads (document_id);
-- Sweeping expired sessions.
CREATE INDEX uploads_expires ON uploads (expires_at);
-- The foreign key's child index (deleting a job finds its sessions).
CREATE INDEX uploads_job ON uploads (job_id);

-- Pre-authenticated downloads of a document's content.
CREATE TABLE downloads (
  id          TEXT PRIMARY KEY NOT NULL,
  token       TEXT NOT NULL,
  tenant_id   TEXT NOT NULL,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  expires_at  INTEGER NOT NULL
);
-- The foreign key's child index (deleting a document finds its downloads).
CREATE INDEX downloads_document ON downloads (document_id);
