// Signs the stack's admin in once for the whole browser suite and prints the
// session ({token, refreshToken, user}) as JSON: spa/test.sh runs it.
//   ADMIN_FILE=<admin.json> STORE_API_URL=<api> node tests/sign-in-admin.mjs
import fs from 'node:fs';
import { unusedTotp } from './totp.mjs';

const admin = JSON.parse(fs.readFileSync(process.env.ADMIN_FILE, 'utf8'));
const api = process.env.STORE_API_URL.replace(/\/+$/, '');
const res = await fetch(`${api}/api/auth/login`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ email: admin.email, password: admin.password, totpCode: await unusedTotp(admin.totpSecret, 'admin', { after: admin.lastStep ?? -1 }) }),
});
const body = await res.json();
if (res.status !== 200 || body.user.role !== 'admin') {
  console.error(`the admin cannot sign in: ${res.status} ${JSON.stringify(body)}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ token: body.token, refreshToken: body.refreshToken, user: body.user }));
