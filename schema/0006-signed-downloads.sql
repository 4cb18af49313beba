-- 0006-signed-downloads.sql - download URLs are signed (an HMAC under the data folder's key of
-- tenant, document and expiry), not stored: the downloads table goes. Getting a download URL
-- writes nothing, so documents can be read on a full disk.
-- Forward-only, like 0001-init.sql (whose conventions hold here too): store.c runs this file in
-- one transaction and then sets PRAGMA user_version to 6; no BEGIN/COMMIT here.
-- SPDX-License-Identifier: Apache-2.0

DROP TABLE downloads;
