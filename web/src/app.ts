/**
 * The page: a signed-out view, and once signed in the profile, the order form, the user's orders, notifications
 * (polled while signed in) and webhook settings. Every panel has explicit loading, empty and error states. All data
 * is rendered as text (see dom.ts).
 */
import { ApiError, type Api, type Notification, type Order, type Profile } from './api';
import type { WebConfig } from './config';
import { append, fill, formatTime, h } from './dom';
import { ORDER_LIMITS, validateOrder, validateWebhook, type FieldErrors } from './forms';
import { decodeJwtPayload } from './oauth';
import type { Session } from './session';

export interface AppDeps {
  config: WebConfig;
  session: Session;
  api: Api;
  /** The `<main>` element the views render into. */
  main: HTMLElement;
  /** The header's account area (who is signed in, sign in/out button). */
  account: HTMLElement;
  /** A visually hidden live region for announcements (new notifications, results of actions). */
  announcer: HTMLElement;
}

export type Notice = { kind: 'error' | 'info'; text: string; link?: { href: string; text: string } };

const NOTIFICATIONS_PAGE = 20;

export class App {
  private orders: Order[] = [];
  private ordersById = new Map<string, Order>();
  private ordersCursor: string | undefined;
  private notifications: Notification[] = [];
  private olderNotifications: Notification[] = [];
  private notificationsCursor: string | undefined;
  private seenNotifications = new Set<string>();
  private notificationsLoaded = false;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private pollGeneration = 0;
  private fetchingOrders = new Set<string>();
  private orderIdempotencyKey: string | null = null;
  private panels: {
    profile: HTMLElement;
    orders: HTMLElement;
    notifications: HTMLElement;
    notificationsStatus: HTMLElement;
    webhookStatus: HTMLElement;
  } | null = null;

  constructor(private readonly deps: AppDeps) {
    deps.session.onChange((e) => {
      if (e.type === 'signed-out') this.showSignedOut(e.reason ? { kind: 'error', text: e.reason } : undefined);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.deps.session.signedIn) this.pollSoon(0);
    });
  }

  // --- signed out ----------------------------------------------------------------------------------------------

  showSignedOut(notice?: Notice): void {
    this.stopPolling();
    this.panels = null;
    this.resetData();
    const { main, account, session } = this.deps;
    const buttons: HTMLButtonElement[] = [];
    const start = (signUp: boolean) => () => {
      for (const b of buttons) b.disabled = true;
      session.signIn({ signUp }).catch(() => {
        for (const b of buttons) b.disabled = false;
        this.notice(main, { kind: 'error', text: 'Could not start signing in. Please try again.' });
      });
    };
    const signIn = h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: start(false) } }, 'Sign in');
    const signUp = h('button', { attrs: { type: 'button' }, on: { click: start(true) } }, 'Create an account');
    const headerSignIn = h('button', { class: 'link', attrs: { type: 'button' }, on: { click: start(false) } }, 'Sign in');
    buttons.push(signIn, signUp, headerSignIn);
    fill(account, headerSignIn);
    fill(
      main,
      notice ? this.noticeEl(notice) : null,
      h(
        'section',
        { class: 'card hero', attrs: { 'aria-labelledby': 'signed-out-title' } },
        h('h2', { attrs: { id: 'signed-out-title' } }, 'You are signed out'),
        h('p', null, 'Sign in to place orders and watch their notifications arrive.'),
        h('div', { class: 'actions center' }, signIn, signUp),
        h('p', { class: 'hint' }, 'Your session is kept only in this tab’s memory, so reloading the page signs you out.'),
      ),
    );
  }

  /** Shown while the callback's code is exchanged for tokens. */
  showSigningIn(): void {
    fill(this.deps.account);
    fill(this.deps.main, h('section', { class: 'card hero', attrs: { 'aria-busy': 'true' } }, h('h2', null, 'Signing you in…'), h('p', { class: 'state' }, 'Checking the sign-in response.')));
  }

  // --- signed in -----------------------------------------------------------------------------------------------

  showSignedIn(): void {
    const { main, account, session } = this.deps;
    this.resetData();
    fill(account, h('span', { class: 'who', attrs: { id: 'who' } }), h('button', { attrs: { type: 'button' }, on: { click: () => session.signOut() } }, 'Sign out'));

    const profile = h('div', { class: 'panel-body' });
    const orders = h('div', { class: 'panel-body' });
    const notifications = h('div', { class: 'panel-body' });
    const notificationsStatus = h('p', { class: 'panel-status', attrs: { id: 'notifications-status' } });
    const webhookStatus = h('div', { attrs: { id: 'webhook-status' } });
    this.panels = { profile, orders, notifications, notificationsStatus, webhookStatus };

    fill(
      main,
      // Two columns on wide screens (what you do | what happened); one column on a phone, reordered by CSS so
      // notifications come right after the order form.
      h('div', { class: 'columns' },
        h('div', { class: 'col' },
          this.card('profile', 'Your profile', profile),
          this.card('new-order', 'Place an order', this.orderForm()),
          this.card('webhook', 'Webhook', this.webhookForm(webhookStatus)),
        ),
        h('div', { class: 'col' },
          this.card('notifications', 'Notifications', notificationsStatus, notifications),
          this.card('orders', 'Your orders', orders),
        ),
      ),
    );
    this.state(profile, 'loading', 'Loading your profile…');
    this.state(orders, 'loading', 'Loading your orders…');
    this.state(notifications, 'loading', 'Loading notifications…');
    // Screen readers start reading at the page's content after the redirect back from the hosted login.
    main.focus({ preventScroll: true });
    void this.loadProfile();
    void this.loadOrders();
    this.pollGeneration++;
    this.pollSoon(0);
  }

  private card(id: string, title: string, ...body: Node[]): HTMLElement {
    return h('section', { class: 'card', attrs: { id, 'aria-labelledby': `${id}-title` } }, h('h2', { attrs: { id: `${id}-title` } }, title), ...body);
  }

  private resetData(): void {
    this.orders = [];
    this.ordersById.clear();
    this.ordersCursor = undefined;
    this.notifications = [];
    this.olderNotifications = [];
    this.notificationsCursor = undefined;
    this.seenNotifications.clear();
    this.notificationsLoaded = false;
    this.orderIdempotencyKey = null;
  }

  // --- profile -------------------------------------------------------------------------------------------------

  private async loadProfile(): Promise<void> {
    const panel = this.panels?.profile;
    if (!panel) return;
    try {
      const me = await this.deps.api.me();
      if (this.panels?.profile !== panel) return;
      this.renderProfile(panel, me);
    } catch (err) {
      if (this.panels?.profile !== panel || isSignedOut(err)) return;
      this.state(panel, 'error', `Your profile could not be loaded: ${messageOf(err)}`, () => {
        this.state(panel, 'loading', 'Loading your profile…');
        void this.loadProfile();
      });
    }
  }

  private renderProfile(panel: HTMLElement, me: Profile): void {
    // Access tokens carry no e-mail; the ID token from the same sign-in does (shown only, never trusted).
    const idClaims = this.deps.session.idToken ? decodeJwtPayload(this.deps.session.idToken) : null;
    const claimEmail = typeof idClaims?.email === 'string' ? idClaims.email : undefined;
    me = { ...me, ...(me.email || !claimEmail ? {} : { email: claimEmail }) };
    const who = document.getElementById('who');
    if (who) who.textContent = me.email ?? me.username;
    const row = (label: string, value: string | number | undefined) => (value === undefined || value === '' ? null : [h('dt', null, label), h('dd', null, value)]);
    const dl = h('dl', { class: 'facts' });
    for (const pair of [
      row('Email', me.email),
      row('User name', me.username === me.sub ? undefined : me.username),
      row('Orders', me.counts.orders),
      row('Notifications', me.counts.notifications),
      row('User id', me.sub),
    ]) {
      if (pair) append(dl, ...pair);
    }
    fill(panel, dl);
  }

  // --- orders --------------------------------------------------------------------------------------------------

  private async loadOrders(): Promise<void> {
    const panel = this.panels?.orders;
    if (!panel) return;
    try {
      const page = await this.deps.api.orders();
      if (this.panels?.orders !== panel) return;
      this.orders = page.items;
      this.ordersCursor = page.nextCursor;
      for (const o of page.items) this.ordersById.set(o.id, o);
      this.renderOrders();
      this.renderNotifications();
    } catch (err) {
      if (this.panels?.orders !== panel || isSignedOut(err)) return;
      this.state(panel, 'error', `Your orders could not be loaded: ${messageOf(err)}`, () => {
        this.state(panel, 'loading', 'Loading your orders…');
        void this.loadOrders();
      });
    }
  }

  private async loadMoreOrders(button: HTMLButtonElement): Promise<void> {
    if (!this.ordersCursor) return;
    button.disabled = true;
    try {
      const page = await this.deps.api.orders({ cursor: this.ordersCursor });
      for (const o of page.items) {
        if (this.ordersById.has(o.id)) continue;
        this.ordersById.set(o.id, o);
        this.orders.push(o);
      }
      this.ordersCursor = page.nextCursor;
      this.renderOrders();
    } catch (err) {
      button.disabled = false;
      if (!isSignedOut(err)) this.announce(messageOf(err));
    }
  }

  private renderOrders(): void {
    const panel = this.panels?.orders;
    if (!panel) return;
    if (this.orders.length === 0) {
      this.state(panel, 'empty', 'No orders yet. Place one with the form.');
      return;
    }
    const list = h('ul', { class: 'list orders', attrs: { 'aria-label': 'Your orders' } });
    for (const o of this.orders) {
      list.append(
        h('li', { attrs: { 'data-order-id': o.id } },
          h('p', { class: 'line' }, h('span', { class: 'item' }, o.item), ' ', h('span', { class: 'qty' }, `× ${o.quantity}`), o.status ? h('span', { class: `badge status-${cssToken(o.status)}` }, o.status) : null),
          o.note ? h('p', { class: 'note' }, o.note) : null,
          h('p', { class: 'meta' }, o.createdAt ? h('time', { attrs: { datetime: o.createdAt } }, formatTime(o.createdAt)) : null, ' ', h('span', { class: 'mono' }, `#${shortId(o.id)}`)),
        ),
      );
    }
    const more = this.ordersCursor ? h('button', { attrs: { type: 'button' }, class: 'more' }, 'Show older orders') : null;
    if (more) more.addEventListener('click', () => void this.loadMoreOrders(more));
    fill(panel, list, more);
  }

  private orderForm(): HTMLElement {
    const field = (id: string, label: string, control: HTMLInputElement | HTMLTextAreaElement, hint?: string) =>
      h('div', { class: 'field' },
        h('label', { attrs: { for: id } }, label),
        hint ? h('p', { class: 'hint', attrs: { id: `${id}-hint` } }, hint) : null,
        control,
        h('p', { class: 'field-error', attrs: { id: `${id}-error`, hidden: true } }),
      );
    const item = h('input', { attrs: { id: 'order-item', name: 'item', type: 'text', autocomplete: 'off' } });
    const quantity = h('input', { attrs: { id: 'order-quantity', name: 'quantity', type: 'number', inputmode: 'numeric', min: ORDER_LIMITS.quantityMin, max: ORDER_LIMITS.quantityMax, step: 1, value: 1 } });
    const note = h('textarea', { attrs: { id: 'order-note', name: 'note', rows: 2, 'aria-describedby': 'order-note-hint' } });
    const submit = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Place order');
    const result = h('div', { class: 'form-result' });
    const form = h('form', { attrs: { novalidate: true, 'aria-labelledby': 'new-order-title' } },
      field('order-item', 'Item', item),
      field('order-quantity', 'Quantity', quantity),
      field('order-note', 'Note (optional)', note, `Up to ${ORDER_LIMITS.noteMax} characters.`),
      h('div', { class: 'actions' }, submit),
      result,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      fill(result);
      const checked = validateOrder({ item: item.value, quantity: quantity.value, note: note.value });
      const controls = { item, quantity, note };
      showFieldErrors(controls, checked.ok ? {} : checked.errors);
      if (!checked.ok) return;
      // One key per intended order: a retry after a network failure reuses it, so the server creates one order.
      this.orderIdempotencyKey ??= crypto.randomUUID();
      submit.disabled = true;
      form.setAttribute('aria-busy', 'true');
      submit.textContent = 'Placing order…';
      this.deps.api
        .placeOrder(checked.value, this.orderIdempotencyKey)
        .then((order) => {
          this.orderIdempotencyKey = null;
          form.reset();
          fill(result, this.noticeEl({ kind: 'info', text: `Order placed: ${order.item || checked.value.item} × ${order.quantity || checked.value.quantity}. Its notification will appear under Notifications shortly.` }));
          this.announce('Order placed.');
          if (order.id && !this.ordersById.has(order.id)) {
            this.ordersById.set(order.id, order);
            this.orders.unshift(order);
            this.renderOrders();
          }
          void this.loadProfile();
          this.pollSoon(300);
        })
        .catch((err: unknown) => {
          if (isSignedOut(err)) return;
          // A reply from the server is final for this key; only a network failure keeps it for the retry.
          if (!(err instanceof ApiError && err.status === 0)) this.orderIdempotencyKey = null;
          fill(result, this.noticeEl({ kind: 'error', text: `The order was not placed: ${messageOf(err)}` }));
        })
        .finally(() => {
          submit.disabled = false;
          form.removeAttribute('aria-busy');
          submit.textContent = 'Place order';
        });
    });
    return form;
  }

  // --- notifications (polled) ----------------------------------------------------------------------------------

  private pollSoon(ms: number): void {
    if (!this.deps.session.signedIn || !this.panels) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const generation = this.pollGeneration;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll(generation);
    }, ms);
  }

  private stopPolling(): void {
    this.pollGeneration++;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private async poll(generation: number): Promise<void> {
    const panels = this.panels;
    if (!panels || generation !== this.pollGeneration) return;
    try {
      const page = await this.deps.api.notifications({ limit: NOTIFICATIONS_PAGE });
      if (generation !== this.pollGeneration) return;
      const first = !this.notificationsLoaded;
      this.notificationsLoaded = true;
      const fresh = page.items.filter((n) => !this.seenNotifications.has(n.id));
      this.notifications = page.items;
      if (first) this.notificationsCursor = page.nextCursor;
      for (const n of page.items) this.seenNotifications.add(n.id);
      panels.notificationsStatus.textContent = '';
      panels.notificationsStatus.classList.remove('error');
      this.renderNotifications(first ? new Set() : new Set(fresh.map((n) => n.id)));
      if (!first && fresh.length) {
        this.announce(fresh.length === 1 ? `New notification: ${fresh[0]?.message ?? ''}` : `${fresh.length} new notifications.`);
        void this.loadProfile();
      }
      // A notification about an order this page has not seen (placed in another tab), or one it shows as still
      // placed (its status has moved on): fetch that order.
      for (const n of page.items) if (n.orderId && this.ordersById.get(n.orderId)?.status !== 'notified') void this.fetchOrder(n.orderId);
    } catch (err) {
      if (generation !== this.pollGeneration || isSignedOut(err)) return;
      panels.notificationsStatus.textContent = `Could not check for notifications: ${messageOf(err)} Retrying…`;
      panels.notificationsStatus.classList.add('error');
      if (!this.notificationsLoaded) this.state(panels.notifications, 'error', 'Notifications could not be loaded yet.');
    }
    if (generation !== this.pollGeneration) return;
    // Paused while the tab is hidden; `visibilitychange` resumes it.
    if (!document.hidden) this.pollSoon(this.deps.config.pollIntervalMs);
  }

  private async fetchOrder(id: string): Promise<void> {
    if (this.fetchingOrders.has(id)) return;
    this.fetchingOrders.add(id);
    try {
      const order = await this.deps.api.order(id);
      if (!this.panels) return;
      this.ordersById.set(id, order);
      const at = this.orders.findIndex((o) => o.id === id);
      if (at < 0) this.orders.unshift(order);
      else this.orders[at] = order;
      this.renderOrders();
      this.renderNotifications();
    } catch {
      // Shown as "order #id" until a later poll tries again.
      setTimeout(() => this.fetchingOrders.delete(id), 5_000);
      return;
    }
    this.fetchingOrders.delete(id);
  }

  private async loadOlderNotifications(button: HTMLButtonElement): Promise<void> {
    if (!this.notificationsCursor) return;
    button.disabled = true;
    try {
      const page = await this.deps.api.notifications({ limit: NOTIFICATIONS_PAGE, cursor: this.notificationsCursor });
      for (const n of page.items) {
        if (this.seenNotifications.has(n.id)) continue;
        this.seenNotifications.add(n.id);
        this.olderNotifications.push(n);
      }
      this.notificationsCursor = page.nextCursor;
      this.renderNotifications();
    } catch (err) {
      button.disabled = false;
      if (!isSignedOut(err)) this.announce(messageOf(err));
    }
  }

  private renderNotifications(fresh: Set<string> = new Set()): void {
    const panel = this.panels?.notifications;
    // Until the first poll answers, the panel keeps its loading (or error) state.
    if (!panel || !this.notificationsLoaded) return;
    const firstIds = new Set(this.notifications.map((n) => n.id));
    const all = [...this.notifications, ...this.olderNotifications.filter((n) => !firstIds.has(n.id))];
    if (all.length === 0) {
      this.state(panel, 'empty', 'No notifications yet. They appear here as your orders are processed.');
      return;
    }
    const list = h('ul', { class: 'list notifications', attrs: { 'aria-label': 'Notifications, newest first' } });
    for (const n of all) {
      const order = n.orderId ? this.ordersById.get(n.orderId) : undefined;
      list.append(
        h('li', { class: fresh.has(n.id) ? 'fresh' : '', attrs: { 'data-notification-id': n.id, 'data-order-id': n.orderId } },
          h('p', { class: 'line' }, h('span', { class: 'message' }, n.message)),
          n.orderId
            ? h('p', { class: 'order-ref' }, 'Order: ', order ? h('span', { class: 'item' }, order.item) : null, order ? ` × ${order.quantity} ` : null, h('span', { class: 'mono' }, `#${shortId(n.orderId)}`))
            : null,
          n.createdAt ? h('p', { class: 'meta' }, h('time', { attrs: { datetime: n.createdAt } }, formatTime(n.createdAt))) : null,
        ),
      );
    }
    const more = this.notificationsCursor ? h('button', { attrs: { type: 'button' }, class: 'more' }, 'Show older notifications') : null;
    if (more) more.addEventListener('click', () => void this.loadOlderNotifications(more));
    fill(panel, list, more);
  }

  // --- webhook -------------------------------------------------------------------------------------------------

  private webhookForm(status: HTMLElement): HTMLElement {
    const url = h('input', { attrs: { id: 'webhook-url', name: 'url', type: 'url', inputmode: 'url', autocomplete: 'url', placeholder: 'https://example.com/hooks/pier', 'aria-describedby': 'webhook-url-hint' } });
    const enabled = h('input', { attrs: { id: 'webhook-enabled', name: 'enabled', type: 'checkbox' } });
    const save = h('button', { attrs: { type: 'submit' } }, 'Save webhook');
    const form = h('form', { attrs: { novalidate: true, 'aria-labelledby': 'webhook-title' } },
      h('p', { class: 'hint', attrs: { id: 'webhook-url-hint' } }, 'Pier sends a signed POST to this URL for each of your orders.'),
      h('div', { class: 'field' }, h('label', { attrs: { for: 'webhook-url' } }, 'Webhook URL'), url, h('p', { class: 'field-error', attrs: { id: 'webhook-url-error', hidden: true } })),
      h('div', { class: 'field check' }, enabled, h('label', { attrs: { for: 'webhook-enabled' } }, 'Send webhooks')),
      h('div', { class: 'actions' }, save),
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      fill(status);
      const checked = validateWebhook({ url: url.value, enabled: enabled.checked });
      showFieldErrors({ url }, checked.ok ? {} : checked.errors);
      if (!checked.ok) return;
      save.disabled = true;
      form.setAttribute('aria-busy', 'true');
      this.deps.api
        .putWebhook(checked.value)
        .then(() => {
          fill(status, this.noticeEl({ kind: 'info', text: checked.value.enabled ? 'Webhook saved and turned on.' : 'Webhook saved; it is off.' }));
        })
        .catch((err: unknown) => {
          if (!isSignedOut(err)) fill(status, this.noticeEl({ kind: 'error', text: `The webhook was not saved: ${messageOf(err)}` }));
        })
        .finally(() => {
          save.disabled = false;
          form.removeAttribute('aria-busy');
        });
    });
    return form;
  }

  // --- shared bits ---------------------------------------------------------------------------------------------

  private state(panel: HTMLElement, kind: 'loading' | 'empty' | 'error', text: string, retry?: () => void): void {
    fill(
      panel,
      h('p', { class: `state ${kind}`, attrs: kind === 'error' ? { role: 'alert' } : kind === 'loading' ? { 'aria-busy': 'true' } : {} }, text),
      retry ? h('button', { attrs: { type: 'button' }, on: { click: retry } }, 'Try again') : null,
    );
  }

  private noticeEl(n: Notice): HTMLElement {
    return h('p', { class: `notice ${n.kind}`, attrs: { role: n.kind === 'error' ? 'alert' : 'status' } }, n.text, n.link ? ' ' : null, n.link ? h('a', { attrs: { href: n.link.href } }, n.link.text) : null);
  }

  private notice(parent: HTMLElement, n: Notice): void {
    parent.prepend(this.noticeEl(n));
  }

  private announce(text: string): void {
    // Clearing first makes screen readers announce a repeated message too.
    this.deps.announcer.textContent = '';
    setTimeout(() => (this.deps.announcer.textContent = text), 50);
  }
}

/** Shown when the page cannot work at all (no config). */
export function showFatal(main: HTMLElement, text: string): void {
  fill(main, h('section', { class: 'card hero' }, h('h2', null, 'The page could not start'), h('p', { class: 'notice error', attrs: { role: 'alert' } }, text)));
}

function showFieldErrors<K extends string>(controls: Record<K, HTMLInputElement | HTMLTextAreaElement>, errors: FieldErrors<K>): void {
  let first: HTMLElement | null = null;
  for (const key of Object.keys(controls) as K[]) {
    const control = controls[key];
    const errorEl = document.getElementById(`${control.id}-error`);
    const message = errors[key];
    const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== `${control.id}-error`);
    if (message) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', [...described, `${control.id}-error`].join(' '));
      if (errorEl) {
        errorEl.textContent = message;
        errorEl.hidden = false;
      }
      first ??= control;
    } else {
      control.removeAttribute('aria-invalid');
      if (described.length) control.setAttribute('aria-describedby', described.join(' '));
      else control.removeAttribute('aria-describedby');
      if (errorEl) {
        errorEl.textContent = '';
        errorEl.hidden = true;
      }
    }
  }
  first?.focus();
}

const isSignedOut = (err: unknown) => err instanceof ApiError && err.code === 'SIGNED_OUT';
const messageOf = (err: unknown) => (err instanceof Error ? err.message : 'Something went wrong.');
const shortId = (id: string) => (id.length > 8 ? id.slice(0, 8) : id);
const cssToken = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
