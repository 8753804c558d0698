// Seed flows "auth" (5): register, login, invalid password, profile view and
// edit, logout; plus the API's messages for a taken email and a short password.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, screenshot, newCustomer, uniqueEmail, signIn, apiCall, PASSWORD } from './helpers.mjs';

describe('auth', () => {
  const b = useBrowser();

  test('register creates an account and signs in', async () => {
    const { page } = b;
    const email = uniqueEmail();
    await page.goto('/#/register');
    await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await screenshot(page, 'register');
    await page.getByRole('button', { name: 'Create account' }).click();
    // Signed in at once; the address is confirmed next, or later.
    await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor();
    await page.getByRole('link', { name: 'Later' }).click();
    // Back on the catalog with the signed-in navigation.
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Orders' }).waitFor();
    await nav.getByRole('link', { name: 'Profile (Ada Lovelace)' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Sign in' }).count(), 0);
    await screenshot(page, 'catalog-signed-in');
    // The account exists in the API.
    const login = await apiCall('POST', '/api/auth/login', { body: { email, password: PASSWORD } });
    assert.equal(login.status, 200);
  });

  test('login with email and password', async () => {
    const { page } = b;
    const user = await newCustomer('Grace Hopper');
    await page.goto('/#/login');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await screenshot(page, 'login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Profile (Grace Hopper)' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
  });

  test('a wrong password shows the API error inline and stays signed out', async () => {
    const { page } = b;
    const user = await newCustomer();
    await page.goto('/#/login');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.innerText(), 'invalid email or password');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    assert.match(page.url(), /#\/login$/);
    await screenshot(page, 'login-error');

    // Empty fields are caught before any request, next to the field.
    await page.getByLabel('Password').fill('');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Password is required.').waitFor();
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
  });

  test('the profile shows the account and saves a new name', async () => {
    const { page } = b;
    const user = await newCustomer('Old Name');
    await signIn(page, user);
    await page.getByRole('link', { name: 'Profile (Old Name)' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    assert.equal(await page.getByTestId('profile-email').innerText(), user.email);
    assert.equal(await page.getByTestId('profile-name').innerText(), 'Old Name');
    assert.equal(await page.getByTestId('profile-role').innerText(), 'Customer');

    await page.getByLabel('Name').fill('New Name');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile updated.' }).first().waitFor();
    assert.equal(await page.getByTestId('profile-name').innerText(), 'New Name');
    await page.getByRole('link', { name: 'Profile (New Name)' }).waitFor();
    await screenshot(page, 'profile');
    // Stored by the API.
    const profile = await apiCall('GET', '/api/auth/profile', { token: user.token });
    assert.equal(profile.body.name, 'New Name');

    // An invalid name: the API's message is shown.
    await page.getByLabel('Name').fill('x'.repeat(101));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'name must be 1 to 100 characters' }).waitFor();
  });

  test('sign out forgets the session', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.goto('/#/profile');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('store.session')));
    const logout = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout'));
    await page.getByTestId('sign-out').click();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('store.session')), null);
    // The session ended at the store too: its refresh token is dead.
    assert.equal((await logout).status(), 200);
    const refresh = await apiCall('POST', '/api/auth/refresh', { body: { refreshToken: stored.refreshToken } });
    assert.equal(refresh.status, 401);
    // Protected pages ask to sign in again.
    await page.goto('/#/orders');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  test('register shows the API messages: taken email, short password', async () => {
    const { page } = b;
    const user = await newCustomer();
    await page.goto('/#/register');
    await page.getByLabel('Name').fill('Someone');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'an account with this email already exists' }).waitFor();

    await page.getByLabel('Email').fill(uniqueEmail());
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'password must be at least 8 characters' }).waitFor();
    assert.match(page.url(), /#\/register$/);
  });
});
