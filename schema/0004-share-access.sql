-- 0004-share-access.sql - who may print to a share: its allowed users and groups
-- (printerShare.allowedUsers, allowedGroups; reference 2.3, S6-S11).
-- Forward-only, like 0001-init.sql (whose conventions hold here too): store.c runs this file in
-- one transaction and then sets PRAGMA user_version to 4; no BEGIN/COMMIT here.
-- SPDX-License-Identifier: Apache-2.0

-- One row per member: kind 'user' (a user's object id) or 'group' (a group's object id). There
-- is no directory here: members are ids, as the tokens' oid and groups claims carry them.
-- Deleting the share deletes its members.
CREATE TABLE share_members (
  share_id  TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('user', 'group')),
  member_id TEXT NOT NULL,
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (share_id, kind, member_id)
);
