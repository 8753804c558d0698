// Client-side state: the session (tokens + user) and the cart, in localStorage.
// Nothing here is trusted by the API: the token is verified there and every
// price is recomputed from the catalog when an order is placed.

const SESSION_KEY = 'store.session';
const CART_KEY = 'store.cart';
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function emit() {
  for (const fn of listeners) fn();
}

function read(key, fallback) {
  try {
    const text = localStorage.getItem(key);
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
}
function write(key, value) {
  if (value === null) localStorage.removeItem(key);
  else localStorage.setItem(key, JSON.stringify(value));
  emit();
}

/** The JWT's claims (unverified: for display and routing only). */
export function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/**
 * The session: a short-lived access token (its claims say when it expires),
 * the refresh token that renews it, and the user. An expired access token
 * with a refresh token is still a session: the next request renews it.
 */
export const session = {
  get() {
    const s = read(SESSION_KEY, null);
    if (!s || !s.token) return null;
    const c = claims(s.token);
    const expiresAt = c && typeof c.exp === 'number' ? c.exp * 1000 : 0;
    if (!c || (expiresAt <= Date.now() && !s.refreshToken)) {
      localStorage.removeItem(SESSION_KEY);
      return null;
    }
    return {
      token: s.token,
      refreshToken: s.refreshToken || null,
      expiresAt,
      user: s.user || {},
      role: c.role || (s.user && s.user.role) || 'customer',
    };
  },
  token() {
    const s = this.get();
    return s ? s.token : null;
  },
  isAdmin() {
    const s = this.get();
    return !!s && s.role === 'admin';
  },
  /** A sign-in's answer: {token, refreshToken, user}. */
  set({ token, refreshToken, user }) {
    write(SESSION_KEY, { token, refreshToken: refreshToken || null, user });
  },
  updateUser(user) {
    const s = read(SESSION_KEY, null);
    if (s) write(SESSION_KEY, { ...s, user });
  },
  clear() {
    write(SESSION_KEY, null);
  },
};

/** Cart lines: {productId, name, price (last seen, estimate only), quantity, stock}. */
export const cart = {
  items() {
    const items = read(CART_KEY, []);
    return Array.isArray(items) ? items.filter((i) => i && i.productId && i.quantity > 0) : [];
  },
  count() {
    return this.items().reduce((n, i) => n + i.quantity, 0);
  },
  add(product, quantity) {
    const items = this.items();
    const line = items.find((i) => i.productId === product.id);
    const max = Math.min(99, product.data.stock);
    if (line) {
      line.quantity = Math.min(max, line.quantity + quantity);
      Object.assign(line, { name: product.data.name, price: product.data.price, stock: product.data.stock });
    } else {
      items.push({ productId: product.id, name: product.data.name, price: product.data.price, stock: product.data.stock, quantity: Math.min(max, quantity) });
    }
    write(CART_KEY, items);
  },
  setQuantity(productId, quantity) {
    const items = this.items()
      .map((i) => (i.productId === productId ? { ...i, quantity } : i))
      .filter((i) => i.quantity > 0);
    write(CART_KEY, items);
  },
  refresh(products) {
    // Latest name, price and stock from the catalog; still an estimate.
    const byId = new Map(products.map((p) => [p.id, p]));
    const items = this.items().map((i) => {
      const p = byId.get(i.productId);
      return p ? { ...i, name: p.data.name, price: p.data.price, stock: p.data.stock } : { ...i, unavailable: true };
    });
    localStorage.setItem(CART_KEY, JSON.stringify(items));
    return items;
  },
  remove(productId) {
    write(CART_KEY, this.items().filter((i) => i.productId !== productId));
  },
  clear() {
    write(CART_KEY, []);
  },
};

// Another tab signing out or changing the cart.
window.addEventListener('storage', (e) => {
  if (e.key === SESSION_KEY || e.key === CART_KEY) emit();
});
