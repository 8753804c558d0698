// The account pages: confirming the address with the mailed code, a
// forgotten password reset by mail, changing the password, signing out
// everywhere, two-factor sign-in (enrolment, the code step), the wait a
// locked account is told, and the session renewing itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newCustomer, uniqueEmail, signIn, apiCall, mailedCode, PASSWORD,
} from './helpers.mjs';
import { unusedTotp } from './totp.mjs';

/** Base32 (RFC 4648, as authenticator apps take it) → hex. */
function base32ToHex(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = bits.match(/.{8}/g) || [];
  return bytes.map((b) => parseInt(b, 2).toString(16).padStart(2, '0')).join('');
}

const storedSession = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('store.session')));

/**
 * Resolves once the second after `token` was issued has begun. Revocation
 * compares whole seconds and spares what starts in its own second (the new
 * session of a password change), so a test of "issued before" revokes later.
 */
async function secondAfter(token) {
  const { iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  const wait = (iat + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => { setTimeout(resolve, wait + 20); });
}

describe('accounts', () => {
  const b = useBrowser();

  test('a new account confirms its address with the mailed code', async () => {
    const { page } = b;
    const email = uniqueEmail('verify');
    const registeredAt = Date.now() - 1000;
    await page.goto('/#/register');
    await page.getByLabel('Name').fill('Vera Fied');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor();
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), email, 'the address is filled in');

    // A wrong code is the API's refusal, inline; the right one confirms.
    await page.getByLabel('Code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Code', { exact: true }).fill(await mailedCode(email, { after: registeredAt }));
    await screenshot(page, 'verify-email');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();

    await page.goto('/#/profile');
    await page.getByTestId('email-verified').waitFor();
    const profile = await apiCall('GET', '/api/auth/profile', { token: (await storedSession(page)).token });
    assert.equal(profile.body.emailVerified, true);
  });

  test('the profile of an unconfirmed address links to confirming it, and a new code can be sent', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.goto('/#/profile');
    await page.getByTestId('email-unverified').click();
    await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor();
    // Registration mailed a code a moment ago: the store says how long to wait.
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await page.getByTestId('resend-note').getByRole('alert').filter({ hasText: 'Please wait' }).waitFor();
  });

  test('a forgotten password is reset with the mailed code', async () => {
    const { page } = b;
    const user = await newCustomer();
    const verified = await apiCall('POST', '/api/auth/verify-email', { body: { email: user.email, code: await mailedCode(user.email) } });
    assert.equal(verified.status, 200);

    await page.goto('/#/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Forgot your password?' }).waitFor();
    const askedAt = Date.now() - 1000;
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByRole('button', { name: 'Mail me a code' }).click();
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), user.email);
    await page.getByLabel('Code', { exact: true }).fill(await mailedCode(user.email, { after: askedAt, containing: /reset/i }));
    await page.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
    await secondAfter(user.token);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();

    const old = await apiCall('POST', '/api/auth/login', { body: { email: user.email, password: PASSWORD } });
    assert.equal(old.status, 401, 'the old password is gone');
    await signIn(page, { email: user.email, password: 'a-brand-new-password' });
    // The registration's session ended with the reset.
    const refresh = await apiCall('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
    assert.equal(refresh.status, 401);
  });

  test('changing the password keeps this session and ends the others; sign out everywhere ends them all', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.goto('/#/profile');
    const form = page.getByTestId('password-form');
    await form.getByLabel('Current password').fill('not-my-password');
    await form.getByLabel('New password', { exact: true }).fill('changed-password-1');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByLabel('Current password').fill(PASSWORD);
    await secondAfter(user.token);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    assert.equal((await apiCall('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } })).status, 401,
      'the registration session ended');
    const mine = await storedSession(page);
    assert.equal((await apiCall('GET', '/api/auth/profile', { token: mine.token })).status, 200, 'this one goes on');

    await secondAfter(mine.token);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('store.session')), null);
    assert.equal((await apiCall('POST', '/api/auth/refresh', { body: { refreshToken: mine.refreshToken } })).status, 401);
    assert.equal((await apiCall('GET', '/api/auth/profile', { token: mine.token })).status, 401,
      'the account routes refuse a token issued before');
  });

  test('two-factor sign-in: enrolment with the QR code, recovery codes once, then the code step', async () => {
    const { page } = b;
    const user = await newCustomer('Tina Two-Factor');
    await signIn(page, user);
    await page.goto('/#/profile');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = page.getByTestId('totp-qr');
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code is drawn');
    const secretHex = base32ToHex(await page.getByTestId('totp-secret').innerText());
    const label = user.email;
    await page.getByLabel('Code from the app').fill(await unusedTotp(secretHex, label));
    await screenshot(page, 'totp-setup');
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    assert.ok(await codes.count() >= 5, 'recovery codes are shown');
    const recovery = await codes.first().innerText();
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByTestId('totp-state').filter({ hasText: 'On' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).first().click();

    // The password alone is not enough: the form asks for the code.
    await page.goto('/#/login');
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    await code.fill('123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'one-time code is not right' }).waitFor();
    await code.fill(await unusedTotp(secretHex, label));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // A recovery code signs in once.
    const withRecovery = { email: user.email, password: user.password, recoveryCode: recovery };
    assert.equal((await apiCall('POST', '/api/auth/login', { body: withRecovery })).status, 200);
    assert.equal((await apiCall('POST', '/api/auth/login', { body: withRecovery })).status, 401);
  });

  test('a locked account is told how long to wait', async () => {
    const { page } = b;
    const user = await newCustomer();
    for (let i = 0; i < 5; i += 1) {
      await apiCall('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong-password' } });
    }
    await page.goto('/#/login');
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /Too many failed sign-ins\. Try again in \d+ minutes\./ }).waitFor();
    await screenshot(page, 'login-locked');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  });

  test('the session renews itself before the access token expires', async () => {
    const { page } = b;
    const user = await newCustomer('Renée Newal');
    await signIn(page, user);
    const before = await storedSession(page);
    const claims = JSON.parse(Buffer.from(before.token.split('.')[1], 'base64url').toString());
    // The page's clock at 30 s before the token's expiry: it renews at once.
    await page.clock.install({ time: claims.exp * 1000 - 30_000 });
    await page.reload();
    let after = before;
    for (let i = 0; i < 100 && after.refreshToken === before.refreshToken; i += 1) {
      await new Promise((r) => { setTimeout(r, 100); });
      after = await storedSession(page);
    }
    assert.notEqual(after.refreshToken, before.refreshToken, 'a new refresh token');
    assert.notEqual(after.token, before.token, 'a new access token');
    assert.equal((await apiCall('GET', '/api/auth/profile', { token: after.token })).status, 200);
    // The renewed-from token is spent: using it again would end the session.
    await page.getByRole('link', { name: 'Profile (Renée Newal)' }).waitFor();
  });
});
