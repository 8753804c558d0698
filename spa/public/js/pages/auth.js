// #/login (with the authenticator-code step), #/register, #/verify-email,
// #/forgot-password and #/reset-password — inline errors, the API's
// messages, and back to where the visitor was going (?next=/checkout).
import { h, render, field, setFieldError, errorBox, toast } from '../ui.js';
import { api } from '../api.js';
import { session } from '../store.js';

/** Only in-app paths: never an open redirect. */
function nextPath(query, fallback) {
  const next = query.get('next') || '';
  return /^\/[A-Za-z0-9/_\-?=&%.]*$/.test(next) && !next.startsWith('//') && !/^\/(login|register|verify-email|forgot-password|reset-password)\b/.test(next)
    ? next : fallback;
}

function authForm({ ctx, title, fields, submitLabel, onSubmit, footer, intro, focusAfterError }) {
  const alert = h('div', { dataset: { testid: 'form-error' } });
  const submit = h('button', { class: 'btn', type: 'submit' }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'page-title' },
    alert, fields.map((f) => f.wrap),
    h('div', { class: 'form-actions' }, submit),
    footer);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.replaceChildren();
    let firstInvalid = null;
    for (const f of fields) {
      const problem = f.check ? f.check(f.input.value) : null;
      setFieldError(f, problem);
      if (problem && !firstInvalid) firstInvalid = f.input;
    }
    if (firstInvalid) {
      firstInvalid.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Please wait…';
    try {
      await onSubmit();
    } catch (err) {
      alert.replaceChildren(errorBox(err.message));
      // Put the keyboard user at the message's form.
      (focusAfterError ? focusAfterError() : fields[0].input).focus();
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });
  render(ctx.main, title, h('h1', { id: 'page-title' }, title), intro || null, form);
  return { form, alert };
}

const required = (label) => (v) => (v.trim() ? null : `${label} is required.`);

/** "in 15 minutes" / "in 40 seconds", for a 429's Retry-After. */
export function waitText(seconds) {
  if (seconds >= 90) return `in ${Math.ceil(seconds / 60)} minutes`;
  return `in ${Math.max(1, Math.round(seconds))} seconds`;
}

const codeCheck = (v) => (/^\d{6}$/.test(v.trim()) ? null : 'Enter the 6-digit code.');

export function loginPage(ctx) {
  const next = nextPath(ctx.query, '/');
  const email = field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true });
  const password = field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true });
  email.check = required('Email');
  password.check = required('Password');
  // Shown once the store asks for the account's second factor.
  const code = field({
    id: 'totp-code', label: 'Authentication code', autocomplete: 'one-time-code',
    hint: 'The 6-digit code your authenticator app shows, or one of your recovery codes.',
    attrs: { inputmode: 'numeric' },
  });
  code.wrap.hidden = true;
  code.check = (v) => (code.wrap.hidden || v.trim() ? null : 'Enter the code from your authenticator app.');
  const registerHref = next !== '/' ? `#/register?next=${encodeURIComponent(next)}` : '#/register';
  const notice = ctx.query.get('next')
    ? h('div', { class: 'alert alert-info', role: 'status' }, h('p', {}, 'Please sign in to continue.'))
    : null;
  authForm({
    ctx,
    title: 'Sign in',
    fields: [email, password, code],
    submitLabel: 'Sign in',
    footer: h('div', {},
      h('p', { class: 'hint' }, h('a', { href: '#/forgot-password', dataset: { testid: 'forgot-link' } }, 'Forgot your password?')),
      h('p', { class: 'hint' }, 'New here? ', h('a', { href: registerHref }, 'Create an account'))),
    onSubmit: async () => {
      const body = { email: email.input.value.trim(), password: password.input.value };
      const typed = code.input.value.trim();
      if (!code.wrap.hidden && typed) {
        if (/^\d{6}$/.test(typed)) body.totpCode = typed;
        else body.recoveryCode = typed;
      }
      let res;
      try {
        res = await api.login(body);
      } catch (e) {
        if (e.status === 401 && e.body && e.body.mfaRequired && code.wrap.hidden) {
          // The password was right; the account also needs its code.
          code.wrap.hidden = false;
          code.input.focus();
          return;
        }
        if (e.status === 429 && e.retryAfter) {
          throw new Error(`Too many failed sign-ins. Try again ${waitText(e.retryAfter)}.`);
        }
        code.input.value = '';
        throw e;
      }
      session.set(res);
      toast(`Welcome back, ${res.user.name}.`);
      ctx.navigate(next);
    },
    focusAfterError: () => (code.wrap.hidden ? email.input : code.input),
  });
  if (notice) ctx.main.querySelector('form').before(notice);
}

export function registerPage(ctx) {
  const next = nextPath(ctx.query, '/');
  const name = field({ id: 'name', label: 'Name', autocomplete: 'name', required: true });
  const email = field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true });
  const password = field({
    id: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true,
    hint: 'At least 8 characters.',
  });
  name.check = required('Name');
  email.check = required('Email');
  password.check = required('Password');
  const loginHref = next !== '/' ? `#/login?next=${encodeURIComponent(next)}` : '#/login';
  authForm({
    ctx,
    title: 'Create an account',
    fields: [name, email, password],
    submitLabel: 'Create account',
    footer: h('p', { class: 'hint' }, 'Already have an account? ', h('a', { href: loginHref }, 'Sign in')),
    onSubmit: async () => {
      const res = await api.register({
        name: name.input.value.trim(),
        email: email.input.value.trim(),
        password: password.input.value,
      });
      session.set(res);
      toast(`Welcome, ${res.user.name}! Your account is ready.`);
      // Ordering works straight away; the code confirms the address for mail.
      ctx.navigate(`/verify-email?next=${encodeURIComponent(next)}`);
    },
  });
}

export function verifyEmailPage(ctx) {
  const next = nextPath(ctx.query, '/');
  const signedIn = session.get();
  const known = ctx.query.get('email') || (signedIn && signedIn.user.email) || '';
  if (signedIn && signedIn.user.emailVerified) {
    render(ctx.main, 'Confirm your email', h('h1', {}, 'Confirm your email'),
      h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, `${signedIn.user.email} is confirmed.`)),
      h('p', {}, h('a', { href: `#${next}` }, 'Continue')));
    return;
  }
  const email = field({ id: 'email', label: 'Email', type: 'email', value: known, autocomplete: 'email', required: true });
  const code = field({ id: 'code', label: 'Code', autocomplete: 'one-time-code', required: true, hint: 'The 6-digit code we mailed you. It is good for 30 minutes.', attrs: { inputmode: 'numeric' } });
  email.check = required('Email');
  code.check = codeCheck;
  const resendNote = h('div', { dataset: { testid: 'resend-note' } });
  const resend = signedIn
    ? h('p', {}, h('button', {
      class: 'btn btn-secondary', type: 'button', dataset: { testid: 'resend-code' },
      onclick: async () => {
        resendNote.replaceChildren();
        try {
          await api.resendVerification();
          resendNote.replaceChildren(h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, 'A new code is on its way.')));
        } catch (e) {
          resendNote.replaceChildren(errorBox(e.status === 429 && e.retryAfter ? `Please wait: you can ask again ${waitText(e.retryAfter)}.` : e.message));
        }
      },
    }, 'Send a new code'), resendNote)
    : null;
  authForm({
    ctx,
    title: 'Confirm your email',
    intro: h('p', {}, 'We mailed a code to confirm your address. Until it is confirmed we send you no order mails; your orders work all the same.'),
    fields: [email, code],
    submitLabel: 'Confirm',
    footer: h('div', {}, resend, h('p', { class: 'hint' }, h('a', { href: `#${next}`, dataset: { testid: 'skip-verify' } }, 'Later'))),
    onSubmit: async () => {
      const user = await api.verifyEmail({ email: email.input.value.trim(), code: code.input.value.trim() });
      const current = session.get();
      if (current && current.user.id === user.id) session.updateUser(user);
      toast('Your email address is confirmed.');
      ctx.navigate(next);
    },
  });
}

export function forgotPasswordPage(ctx) {
  const email = field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true });
  email.check = required('Email');
  authForm({
    ctx,
    title: 'Forgot your password?',
    intro: h('p', {}, 'We mail a code to reset it to the address of your account, if that address is confirmed.'),
    fields: [email],
    submitLabel: 'Mail me a code',
    footer: h('p', { class: 'hint' }, h('a', { href: '#/login' }, 'Back to sign in')),
    onSubmit: async () => {
      const address = email.input.value.trim();
      await api.forgotPassword({ email: address });
      ctx.navigate(`/reset-password?email=${encodeURIComponent(address)}`);
    },
  });
}

export function resetPasswordPage(ctx) {
  const email = field({ id: 'email', label: 'Email', type: 'email', value: ctx.query.get('email') || '', autocomplete: 'email', required: true });
  const code = field({ id: 'code', label: 'Code', autocomplete: 'one-time-code', required: true, hint: 'The 6-digit code we mailed you.', attrs: { inputmode: 'numeric' } });
  const password = field({ id: 'new-password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, hint: 'At least 8 characters.' });
  email.check = required('Email');
  code.check = codeCheck;
  password.check = required('New password');
  authForm({
    ctx,
    title: 'Choose a new password',
    intro: h('div', { class: 'alert alert-info', role: 'status' },
      h('p', {}, 'If an account with a confirmed address exists, we have mailed it a code.')),
    fields: [email, code, password],
    submitLabel: 'Change password',
    footer: h('p', { class: 'hint' }, h('a', { href: '#/forgot-password' }, 'Send another code')),
    onSubmit: async () => {
      await api.resetPassword({ email: email.input.value.trim(), code: code.input.value.trim(), newPassword: password.input.value });
      // Every session ended with the old password, this browser's too.
      session.clear();
      toast('Your password is changed. Please sign in with it.');
      ctx.navigate('/login');
    },
  });
}
