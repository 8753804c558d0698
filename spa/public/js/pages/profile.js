// #/profile — the profile (GET/PUT /api/auth/profile), the address's
// confirmation, the password, two-factor sign-in, and signing out here or
// everywhere.
import { h, render, field, setFieldError, errorBox, toast } from '../ui.js';
import { api } from '../api.js';
import { session } from '../store.js';

export async function profilePage(ctx) {
  const { main } = ctx;
  render(main, 'Your profile', h('h1', {}, 'Your profile'), h('p', { class: 'loading' }, 'Loading…'));
  let user;
  try {
    user = await api.profile();
  } catch (e) {
    if (!ctx.isCurrent()) return;
    render(main, 'Your profile', h('h1', {}, 'Your profile'), errorBox(e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  session.updateUser(user);

  const info = h('dl', { class: 'details panel', dataset: { testid: 'profile-info' } },
    h('dt', {}, 'Name'), h('dd', { dataset: { testid: 'profile-name' } }, user.name),
    h('dt', {}, 'Email'), h('dd', {}, h('span', { dataset: { testid: 'profile-email' } }, user.email), ' ',
      user.emailVerified
        ? h('span', { class: 'badge badge-ok', dataset: { testid: 'email-verified' } }, 'confirmed')
        : h('a', { href: '#/verify-email?next=/profile', dataset: { testid: 'email-unverified' } }, 'not confirmed: confirm it')),
    h('dt', {}, 'Account'), h('dd', { dataset: { testid: 'profile-role' } }, user.role === 'admin' ? 'Administrator' : 'Customer'));

  const name = field({ id: 'profile-name-input', label: 'Name', value: user.name, autocomplete: 'name', required: true });
  const alert = h('div');
  const save = h('button', { class: 'btn', type: 'submit' }, 'Save changes');
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Edit profile'), alert, name.wrap,
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.replaceChildren();
    if (!name.input.value.trim()) {
      setFieldError(name, 'Name is required.');
      name.input.focus();
      return;
    }
    setFieldError(name, null);
    save.disabled = true;
    try {
      const updated = await api.updateProfile({ name: name.input.value.trim() });
      session.updateUser(updated);
      info.querySelector('[data-testid="profile-name"]').textContent = updated.name;
      alert.replaceChildren(h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, 'Profile updated.')));
      toast('Profile updated.');
    } catch (err) {
      alert.replaceChildren(errorBox(err.message));
    } finally {
      save.disabled = false;
    }
  });

  const everywhereNote = h('div');
  const everywhere = h('button', {
    class: 'btn btn-secondary', type: 'button', dataset: { testid: 'sign-out-everywhere' },
    onclick: async () => {
      everywhereNote.replaceChildren();
      try {
        await api.logout({ everywhere: true });
        session.clear();
        toast('You are signed out on every device.');
        ctx.navigate('/login');
      } catch (e) {
        everywhereNote.replaceChildren(errorBox(e.message));
      }
    },
  }, 'Sign out everywhere');

  render(main, 'Your profile',
    h('h1', {}, 'Your profile'),
    info,
    form,
    passwordForm(),
    totpSection(ctx, user),
    h('h2', {}, 'Session'),
    h('p', {},
      h('button', { class: 'btn btn-secondary', type: 'button', onclick: ctx.signOut, dataset: { testid: 'sign-out' } }, 'Sign out'),
      ' ', everywhere),
    h('p', { class: 'hint' }, 'Sign out everywhere ends every session of your account, on every device.'),
    everywhereNote);
}

/** A result line under a form: ok (status) or the API's error (alert). */
function outcome(slot, ok, message) {
  slot.replaceChildren(ok
    ? h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, message))
    : errorBox(message));
}

function passwordForm() {
  const current = field({ id: 'current-password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true });
  const next = field({ id: 'changed-password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, hint: 'At least 8 characters.' });
  const note = h('div');
  const submit = h('button', { class: 'btn', type: 'submit' }, 'Change password');
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'password-title', dataset: { testid: 'password-form' } },
    h('h2', { id: 'password-title' }, 'Password'), note, current.wrap, next.wrap,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    note.replaceChildren();
    const missing = [[current, 'Current password'], [next, 'New password']].filter(([f, label]) => {
      setFieldError(f, f.input.value ? null : `${label} is required.`);
      return !f.input.value;
    });
    if (missing.length) {
      missing[0][0].input.focus();
      return;
    }
    submit.disabled = true;
    try {
      // A new session for this browser; every other one ends.
      session.set(await api.changePassword({ currentPassword: current.input.value, newPassword: next.input.value }));
      current.input.value = '';
      next.input.value = '';
      outcome(note, true, 'Password changed. You stay signed in here; every other session has ended.');
    } catch (err) {
      outcome(note, false, err.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** Two-factor sign-in: set up (QR code, secret, first code), recovery codes once, turn off. */
function totpSection(ctx, user) {
  const section = h('section', { class: 'panel', 'aria-labelledby': 'totp-title', dataset: { testid: 'totp' } });
  const title = h('h2', { id: 'totp-title' }, 'Two-factor sign-in');
  const note = h('div');

  function showOff() {
    const start = h('button', { class: 'btn', type: 'button', dataset: { testid: 'totp-start' } }, 'Set up an authenticator app');
    start.addEventListener('click', async () => {
      start.disabled = true;
      note.replaceChildren();
      try {
        showEnrolment(await api.totpSetup());
      } catch (e) {
        start.disabled = false;
        outcome(note, false, e.message);
      }
    });
    section.replaceChildren(title,
      h('p', { dataset: { testid: 'totp-state' } }, 'Off. With it on, signing in also asks for a code from an app on your phone.'),
      note, start);
  }

  function showEnrolment(enrolment) {
    // The QR code is the API's SVG, shown as an image: never put into the DOM as markup.
    const qr = h('img', {
      class: 'totp-qr', width: 200, height: 200, dataset: { testid: 'totp-qr' },
      alt: 'QR code to scan with your authenticator app',
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg || '')}`,
    });
    const code = field({ id: 'totp-confirm-code', label: 'Code from the app', autocomplete: 'one-time-code', required: true, attrs: { inputmode: 'numeric' } });
    const submit = h('button', { class: 'btn', type: 'submit' }, 'Turn on');
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Confirm the authenticator app' },
      code.wrap, h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      note.replaceChildren();
      if (!/^\d{6}$/.test(code.input.value.trim())) {
        setFieldError(code, 'Enter the 6-digit code the app shows.');
        code.input.focus();
        return;
      }
      setFieldError(code, null);
      submit.disabled = true;
      try {
        const { recoveryCodes } = await api.totpConfirm(code.input.value.trim());
        session.updateUser({ ...user, totpEnabled: true });
        showRecoveryCodes(recoveryCodes);
      } catch (err) {
        submit.disabled = false;
        outcome(note, false, err.message);
      }
    });
    section.replaceChildren(title,
      h('p', {}, 'Scan the code with your authenticator app, or type the key into it, then enter the code it shows.'),
      qr,
      h('p', {}, 'Key: ', h('code', { class: 'mono', dataset: { testid: 'totp-secret' } }, enrolment.secret)),
      note, form);
    code.input.focus();
  }

  function showRecoveryCodes(codes) {
    section.replaceChildren(title,
      h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, 'Two-factor sign-in is on.')),
      h('p', {}, 'Keep these recovery codes somewhere safe. Each signs you in once if you lose your phone. They are shown only now.'),
      h('ul', { class: 'recovery-codes mono', dataset: { testid: 'recovery-codes' } }, codes.map((c) => h('li', {}, c))),
      h('button', { class: 'btn btn-secondary', type: 'button', onclick: showOn }, 'I have saved them'));
  }

  function showOn() {
    const password = field({ id: 'totp-disable-password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true });
    const submit = h('button', { class: 'btn btn-secondary', type: 'submit' }, 'Turn off');
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Turn off two-factor sign-in' },
      password.wrap, h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      note.replaceChildren();
      submit.disabled = true;
      try {
        user = await api.totpDisable(password.input.value);
        session.updateUser(user);
        showOff();
      } catch (err) {
        submit.disabled = false;
        outcome(note, false, err.message);
      }
    });
    const parts = [title, h('p', { dataset: { testid: 'totp-state' } }, 'On: signing in asks for a code from your authenticator app.'), note];
    if (user.role === 'admin') parts.push(h('p', { class: 'hint' }, 'An administrator account keeps it on.'));
    else parts.push(form);
    section.replaceChildren(...parts);
  }

  if (user.totpEnabled) showOn();
  else showOff();
  return section;
}
