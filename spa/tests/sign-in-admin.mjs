// Signs the stack's admin in once for the whole browser suite and prints the
// session ({token, refreshToken, user}) as JSON: spa/test.sh runs it.
//   ADMIN_FILE=<admin.json> STORE_API_URL=<api> node tests/sign-in-admin.mjs
import fs from 'node:fs';
import { unusedTotp } from './totp.mjs';

const admin = JSON.parse(fs.readFileSync(process.env.ADMIN_FILE, 'utf8'));
const api = process.env.STORE_API_URL.replace(/\/+$/, '');

async function signIn(after) {
  const code = await unusedTotp(admin.totpSecret, 'admin', { after });
  const res = await fetch(`${api}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: admin.email, password: admin.password, totpCode: code }),
  });
  return { status: res.status, body: await res.json(), step: Math.floor(Date.now() / 30_000) };
}

let answer = await signIn(admin.lastStep ?? -1);
if (answer.status === 401 && answer.body.mfaRequired) {
  // Another client of the stack (the end-to-end tests) used this step's code.
  answer = await signIn(answer.step);
}
if (answer.status !== 200 || answer.body.user.role !== 'admin') {
  console.error(`the admin cannot sign in: ${answer.status} ${JSON.stringify(answer.body)}`);
  process.exit(1);
}
const { token, refreshToken, user } = answer.body;
process.stdout.write(JSON.stringify({ token, refreshToken, user }));
