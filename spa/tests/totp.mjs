// TOTP codes as an authenticator app makes them, for the tests' sign-ins.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** RFC 6238: SHA-1, six digits, 30-second steps; `secretHex` as an app holds it. */
export function totp(secretHex, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const digest = createHmac('sha1', Buffer.from(secretHex, 'hex')).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * A code for `secretHex` that no other sign-in of this run used: the store
 * takes each step's code once, so the step is claimed with a file
 * (TOTP_CLAIMS_DIR, shared by the test files running at once), never at a
 * step's last seconds, and never at or before step `after` (one used
 * elsewhere: scripts/local-admin.py records its own as lastStep).
 */
export async function unusedTotp(secretHex, label, { after = -1 } = {}) {
  const dir = process.env.TOTP_CLAIMS_DIR || os.tmpdir();
  for (;;) {
    const now = Date.now();
    const left = 30_000 - (now % 30_000);
    if (left > 3_000 && Math.floor(now / 30_000) > after) {
      try {
        fs.writeFileSync(path.join(dir, `totp-${label}-${Math.floor(now / 30_000)}`), '', { flag: 'wx' });
        return totp(secretHex, now);
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
      }
    }
    await sleep(left + 100);
  }
}

