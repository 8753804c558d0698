// #/profile — view and edit the profile (GET/PUT /api/auth/profile), sign out.
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
    h('dt', {}, 'Email'), h('dd', { dataset: { testid: 'profile-email' } }, user.email),
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

  render(main, 'Your profile',
    h('h1', {}, 'Your profile'),
    info,
    form,
    h('h2', {}, 'Session'),
    h('p', {}, h('button', { class: 'btn btn-secondary', type: 'button', onclick: ctx.signOut, dataset: { testid: 'sign-out' } }, 'Sign out')));
}
