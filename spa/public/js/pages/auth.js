// #/login and #/register — inline errors, the API's messages, and back to
// where the visitor was going (?next=/checkout).
import { h, render, field, setFieldError, errorBox, toast } from '../ui.js';
import { api } from '../api.js';
import { session } from '../store.js';

/** Only in-app paths: never an open redirect. */
function nextPath(query, fallback) {
  const next = query.get('next') || '';
  return /^\/[A-Za-z0-9/_\-?=&%.]*$/.test(next) && !next.startsWith('//') && !/^\/(login|register)\b/.test(next)
    ? next : fallback;
}

function authForm({ ctx, title, fields, submitLabel, onSubmit, footer }) {
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
      (fields[0] && fields[0].input).focus();
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });
  render(ctx.main, title, h('h1', { id: 'page-title' }, title), form);
}

const required = (label) => (v) => (v.trim() ? null : `${label} is required.`);

export function loginPage(ctx) {
  const next = nextPath(ctx.query, '/');
  const email = field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true });
  const password = field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true });
  email.check = required('Email');
  password.check = required('Password');
  const registerHref = next !== '/' ? `#/register?next=${encodeURIComponent(next)}` : '#/register';
  const notice = ctx.query.get('next')
    ? h('div', { class: 'alert alert-info', role: 'status' }, h('p', {}, 'Please sign in to continue.'))
    : null;
  authForm({
    ctx,
    title: 'Sign in',
    fields: [email, password],
    submitLabel: 'Sign in',
    footer: h('p', { class: 'hint' }, 'New here? ', h('a', { href: registerHref }, 'Create an account')),
    onSubmit: async () => {
      const res = await api.login({ email: email.input.value.trim(), password: password.input.value });
      session.set(res.token, res.user);
      toast(`Welcome back, ${res.user.name}.`);
      ctx.navigate(next);
    },
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
      session.set(res.token, res.user);
      toast(`Welcome, ${res.user.name}! Your account is ready.`);
      ctx.navigate(next);
    },
  });
}
