-- 0003-pull-printing.sql - pull printing (task definitions, triggers, tasks) and the job id
-- sequence.
-- Forward-only, like 0001-init.sql (whose conventions hold here too): store.c runs this file in
-- one transaction and then sets PRAGMA user_version to 3; no BEGIN/COMMIT here.
-- SPDX-License-Identifier: Apache-2.0

-- microsoft.graph.printTaskDefinition. app_id is the creating application (its owner), app_name
-- its displayName (createdBy).
CREATE TABLE task_definitions (
  id           TEXT PRIMARY KEY NOT NULL,
  tenant_id    TEXT NOT NULL,
  display_name TEXT NOT NULL,
  app_id       TEXT,
  app_name     TEXT,
  created_at   INTEGER NOT NULL
);
-- Tenant lookups, the filter by application and the list order (created_at, id).
CREATE INDEX task_definitions_tenant ON task_definitions (tenant_id, app_id, created_at, id);

-- microsoft.graph.printTaskTrigger: at most one per printer. Deleting the printer or the
-- definition deletes it.
CREATE TABLE task_triggers (
  id            TEXT PRIMARY KEY NOT NULL,
  tenant_id     TEXT NOT NULL,
  printer_id    TEXT NOT NULL UNIQUE REFERENCES printers (id) ON DELETE CASCADE,
  definition_id TEXT NOT NULL REFERENCES task_definitions (id) ON DELETE CASCADE,
  event         TEXT NOT NULL DEFAULT 'jobStarted', -- printEvent member
  created_at    INTEGER NOT NULL
);
-- The foreign key's child index (deleting a definition finds its triggers).
CREATE INDEX task_triggers_definition ON task_triggers (definition_id);

-- microsoft.graph.printTask: made by a trigger for one job. Deleting the definition or the job
-- deletes it; deleting the trigger leaves it with trigger_id NULL.
CREATE TABLE tasks (
  id            TEXT PRIMARY KEY NOT NULL,
  tenant_id     TEXT NOT NULL,
  definition_id TEXT NOT NULL REFERENCES task_definitions (id) ON DELETE CASCADE,
  trigger_id    TEXT REFERENCES task_triggers (id) ON DELETE SET NULL,
  job_id        INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  parent_url    TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'processing', 'completed', 'aborted')),
  description   TEXT,
  created_at    INTEGER NOT NULL
);
-- The tasks of a definition of a tenant, in the list order (newest first).
CREATE INDEX tasks_tenant ON tasks (tenant_id, definition_id, created_at);
-- The tasks of a job; also the foreign key's child index (deleting a job finds its tasks).
CREATE INDEX tasks_job ON tasks (job_id);
-- The task timeout: processing tasks by age.
CREATE INDEX tasks_state ON tasks (state, created_at);
-- The foreign keys' child indexes (deleting a definition or a trigger finds its tasks).
CREATE INDEX tasks_definition ON tasks (definition_id);
CREATE INDEX tasks_trigger ON tasks (trigger_id);

-- The job id sequence from now on: a job id is taken by inserting a row here and deleting it
-- again (AUTOINCREMENT never hands out an id twice, also after a restart), so that an id can be
-- known before its job exists (redirection).
CREATE TABLE job_ids (
  id INTEGER PRIMARY KEY AUTOINCREMENT
);
-- Continue above every id jobs ever had: the existing ones and the deleted ones (jobs is
-- AUTOINCREMENT too, its sqlite_sequence row holds the largest id it handed out).
INSERT INTO job_ids (id)
  SELECT m FROM (SELECT MAX(m) AS m FROM (SELECT MAX(id) AS m FROM jobs
                                           UNION ALL
                                           SELECT seq FROM sqlite_sequence WHERE name = 'jobs'))
  WHERE m > 0;
DELETE FROM job_ids;
