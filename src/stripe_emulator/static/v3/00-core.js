/*
 * Stripe.js v3 as served by the local Stripe emulator (GET /v3/ serves static/v3/*.js in name
 * order, wrapped in one function, so these files share one private scope).
 *
 * Same public API as https://js.stripe.com/v3/ for what a checkout page uses: Stripe(),
 * stripe.elements(), the Payment, Address, Link Authentication and Express Checkout Elements,
 * elements.submit(), stripe.confirmPayment(), stripe.retrievePaymentIntent() and
 * stripe.handleNextAction(). Elements render plain inputs inside the mount point (no iframe) so
 * browser tests can drive them, and every call goes to the emulator this file was loaded from.
 * Plain ES2017, no build step.
 *
 * This file: the shared parts (HTTP, events, styles, the element life cycle).
 */

/* ------------------------------------------------------------------ setup */

// document.currentScript is only set while this file first runs, so read the origin now.
const API_BASE = scriptOrigin();

function scriptOrigin() {
  const script = document.currentScript || document.querySelector('script[src*="/v3"]');
  return new URL(script ? script.src : window.location.href, window.location.href).origin;
}

// Stripe.js throws IntegrationError for programming mistakes, never for customer input.
class IntegrationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'IntegrationError';
  }
}

function integration(ok, message) {
  if (!ok) throw new IntegrationError(message);
}

/* ------------------------------------------------------------------- HTTP */

// Stripe's form encoding: nested objects as a[b][c]=v, arrays as a[0]=v; null means "omit".
function encodeForm(params) {
  const pairs = [];
  (function walk(value, name) {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, name + '[' + i + ']'));
    } else if (typeof value === 'object') {
      Object.keys(value).forEach((k) => walk(value[k], name ? name + '[' + k + ']' : k));
    } else {
      pairs.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(value)));
    }
  })(params, '');
  return pairs.join('&');
}

// Resolves {body} on success or {error} with a Stripe-shaped error; never rejects.
// A form-encoded POST and a plain GET are "simple" CORS requests: no preflight, like Stripe.js.
async function request(method, path, params) {
  const query = encodeForm(params);
  const init = {method: method, credentials: 'omit'};
  let url = API_BASE + path;
  if (method === 'GET') {
    url += '?' + query;
  } else {
    init.body = query;
    init.headers = {'Content-Type': 'application/x-www-form-urlencoded'};
  }
  let response;
  let body = null;
  try {
    response = await fetch(url, init);
    body = await response.json();
  } catch (err) {
    if (!response) {
      return {error: {type: 'api_connection_error',
        message: 'An error occurred with our connection to Stripe.'}};
    }
  }
  if (response.ok && body) return {body: body};
  if (body && body.error) return {error: body.error};
  return {error: {type: 'api_error',
    message: 'Unexpected response from Stripe (HTTP ' + response.status + ').'}};
}

// The PaymentIntent id is the client secret's part before "_secret_".
function intentIdFrom(clientSecret, caller) {
  const at = typeof clientSecret === 'string' ? clientSecret.indexOf('_secret_') : -1;
  integration(at > 3 && clientSecret.slice(0, 3) === 'pi_', 'Invalid value for ' + caller +
    ': clientSecret should be a client secret of the form ${id}_secret_${secret}. You ' +
    'specified: ' + clientSecret + '.');
  return clientSecret.slice(0, at);
}

/* ----------------------------------------------------------------- events */

// on / once / off as on Stripe's elements; handlers run in order, each isolated.
class Emitter {
  constructor() {
    this._handlers = {};
  }

  on(type, handler) {
    return this._add(type, handler, false);
  }

  once(type, handler) {
    return this._add(type, handler, true);
  }

  off(type, handler) {
    const kept = (this._handlers[type] || []).filter((h) => handler && h.handler !== handler);
    this._handlers[type] = kept;
    return this;
  }

  _add(type, handler, once) {
    (this._handlers[type] = this._handlers[type] || []).push({handler: handler, once: once});
    return this;
  }

  _emit(type, payload) {
    const listeners = this._handlers[type] || [];
    this._handlers[type] = listeners.filter((h) => !h.once);
    listeners.forEach((h) => {
      // A merchant handler that throws must not break the element: report it, carry on.
      try {
        h.handler(payload);
      } catch (err) {
        setTimeout(() => { throw err; });
      }
    });
  }
}

/* ----------------------------------------------------------------- styles */

// The elements bring their own styles, as Stripe's iframes do; appearance sets the variables.
const CSS = `
.se-element{--se-primary:#0570de;--se-bg:#fff;--se-text:#30313d;--se-danger:#df1b41;
--se-muted:#6d6e78;--se-border:#e0e0e6;--se-radius:5px;
--se-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-family:var(--se-font);
color:var(--se-text);line-height:1.3;text-align:left}
.se-payment{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}
.se-address,.se-link{display:grid;grid-template-columns:minmax(0,1fr);gap:12px}
.se-row{display:flex;flex-wrap:wrap;gap:12px} .se-row>.se-field{flex:1 1 150px}
.se-row:not(:has(>.se-field:not([hidden]))){display:none}
.se-express[hidden]{display:none}
.se-field{display:flex;flex-direction:column;gap:4px;min-width:0;margin:0}
.se-field--wide{grid-column:1/-1} .se-field[hidden]{display:none}
.se-label{display:block;margin:0;font-size:14px;font-weight:400;color:var(--se-text)}
.se-optional{color:var(--se-muted)} .se-box{position:relative}
.se-input{box-sizing:border-box;display:block;width:100%;max-width:none;margin:0;
padding:10px 12px;font:inherit;font-size:16px;line-height:1.25;color:var(--se-text);
background:var(--se-bg);border:1px solid var(--se-border);border-radius:var(--se-radius);
box-shadow:0 1px 2px rgba(0,0,0,.04)}
select.se-input{appearance:none;-webkit-appearance:none;padding-right:34px;cursor:pointer}
.se-box--select::after{content:"";position:absolute;right:14px;top:50%;width:7px;height:7px;
margin-top:-6px;border-right:2px solid var(--se-muted);border-bottom:2px solid var(--se-muted);
transform:rotate(45deg);pointer-events:none}
.se-input:focus{outline:2px solid var(--se-primary);outline-offset:0;border-color:var(--se-primary)}
.se-input[aria-invalid=true]{border-color:var(--se-danger);color:var(--se-danger)}
.se-input[aria-invalid=true]:focus{outline-color:var(--se-danger)}
.se-input[readonly],select.se-input:disabled{opacity:.7}
.se-brand{position:absolute;right:10px;top:50%;transform:translateY(-50%);font-size:12px;
font-weight:600;color:var(--se-muted);pointer-events:none}
.se-error{font-size:14px;color:var(--se-danger)} .se-error:empty{display:none}
.se-sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}`;

const APPEARANCE_VARIABLES = {
  colorPrimary: '--se-primary', colorBackground: '--se-bg', colorText: '--se-text',
  colorDanger: '--se-danger', colorTextSecondary: '--se-muted', fontFamily: '--se-font',
  borderRadius: '--se-radius',
};
const NIGHT_THEME = {colorPrimary: '#0085ff', colorBackground: '#30313d', colorText: '#fff',
  colorDanger: '#fe87a1', colorTextSecondary: '#a3a5b4'};

let stylesAdded = false;

// A constructed sheet needs no 'unsafe-inline' in the merchant's Content-Security-Policy.
function injectStyles() {
  if (stylesAdded) return;
  stylesAdded = true;
  if (document.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheet);
  } else {
    document.head.appendChild(el('style', {}, CSS));
  }
}

// Variables only (through the CSSOM, which a strict CSP allows); rules and labels are ignored.
function applyAppearance(root, appearance) {
  const theme = appearance && appearance.theme === 'night' ? NIGHT_THEME : {};
  const variables = Object.assign({}, theme, appearance && appearance.variables);
  Object.keys(APPEARANCE_VARIABLES).forEach((name) => {
    const value = variables[name];
    if (typeof value === 'string' && value) {
      root.style.setProperty(APPEARANCE_VARIABLES[name], value);
    } else {
      root.style.removeProperty(APPEARANCE_VARIABLES[name]);
    }
  });
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((name) => node.setAttribute(name, attrs[name]));
  [].concat(children === undefined ? [] : children).forEach((child) => node.append(child));
  return node;
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base, extra) {
  const out = Object.assign({}, base);
  Object.keys(extra || {}).forEach((key) => {
    const value = extra[key];
    const nested = isPlainObject(value) && isPlainObject(out[key]);
    out[key] = nested ? deepMerge(out[key], value) : value;
  });
  return out;
}

let elementCount = 0;

// Ids for one element's fields, unique on the page.
function idPrefix() {
  return 'stripe-emulator-' + (++elementCount);
}

// A blur error pushes down what is below it. When the blur comes from a press elsewhere (the
// Pay button), the error waits until that press is over, or the shift would swallow the click.
let pointerDown = false;
window.addEventListener('pointerdown', () => { pointerDown = true; }, true);
['pointerup', 'pointercancel'].forEach((type) => {
  window.addEventListener(type, () => { pointerDown = false; }, true);
});

function afterPointerRelease(action) {
  if (!pointerDown) return action();
  const run = () => setTimeout(action, 0); // after the click that this press makes
  ['pointerup', 'pointercancel'].forEach((type) => {
    window.addEventListener(type, run, {once: true, capture: true});
  });
}

/* ----------------------------------------------------------- element base */

const CONTAINER_CLASSES = ['StripeElement', 'StripeElement--empty', 'StripeElement--complete',
  'StripeElement--invalid', 'StripeElement--focus'];

// What every element shares (StripeElementBase): mount, unmount, destroy, focus, blur, update,
// focus/blur/escape events and the container's StripeElement classes. A subclass builds
// this._root in its constructor and may define _afterMount, _isEmpty, _isComplete, _hasError,
// _validateAll (a StripeError or null) and _setBusy.
class BaseElement extends Emitter {
  constructor(group, type, options) {
    super();
    this._group = group;
    this._type = type;
    this._options = Object.assign({}, options);
    this._container = null;
    this._destroyed = false;
    this._busy = false;
  }

  mount(target) {
    this._assertAlive();
    integration(!this._container, 'This Element is already mounted. Use `unmount()` to ' +
      'unmount the Element before re-mounting.');
    const node = typeof target === 'string' ? document.querySelector(target) : target;
    integration(node || typeof target !== 'string', 'The selector you specified (' + target +
      ') applies to no DOM elements that are currently on the page.\nMake sure the element ' +
      'exists on the page before calling mount().');
    integration(node instanceof HTMLElement, 'Invalid DOM element. Make sure to call mount() ' +
      'with a valid DOM element or selector.');
    injectStyles();
    this._applyGroupOptions();
    node.appendChild(this._root);
    node.classList.add('StripeElement');
    this._container = node;
    this._refreshContainer();
    this._afterMount(node);
  }

  unmount() {
    this._assertAlive();
    if (!this._container) return;
    this._container.classList.remove.apply(this._container.classList, CONTAINER_CLASSES);
    this._root.remove();
    this._container = null;
  }

  destroy() {
    this._assertAlive();
    this.unmount();
    this._group._forget(this);
    this._destroyed = true;
  }

  update(options) {
    this._assertAlive();
    this._options = deepMerge(this._options, options);
    this._optionsChanged();
    return this;
  }

  focus() {
    const first = this._controls().find((control) => !control.disabled);
    if (first) first.focus();
  }

  blur() {
    if (this._root.contains(document.activeElement)) document.activeElement.blur();
  }

  /* --- for subclasses and the Elements group --- */

  _assertAlive() {
    integration(!this._destroyed, 'This Element has already been destroyed. Please create ' +
      'a new one.');
  }

  _event(extra) {
    return Object.assign({elementType: this._type}, extra);
  }

  // The visible inputs and selects, in order.
  _controls() {
    return Array.from(this._root.querySelectorAll('input,select'))
      .filter((control) => !control.closest('[hidden]'));
  }

  // focus and blur for the element as a whole, escape from any of its fields.
  _listenForFocus() {
    this._root.addEventListener('focusin', (event) => this._onFocusChange(event, true));
    this._root.addEventListener('focusout', (event) => this._onFocusChange(event, false));
    this._root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this._emit('escape', this._event());
    });
  }

  _onFocusChange(event, entering) {
    if (this._root.contains(event.relatedTarget)) return; // focus moved between our fields
    if (this._container) this._container.classList.toggle('StripeElement--focus', entering);
    this._emit(entering ? 'focus' : 'blur', this._event());
  }

  _refreshContainer() {
    if (!this._container) return;
    const classes = this._container.classList;
    classes.toggle('StripeElement--empty', this._isEmpty());
    classes.toggle('StripeElement--complete', this._isComplete());
    classes.toggle('StripeElement--invalid', this._hasError());
  }

  // What the group's options decide for every element: appearance and locale.
  _applyGroupOptions() {
    applyAppearance(this._root, this._group._options.appearance);
    const locale = this._group._options.locale;
    if (locale && locale !== 'auto') this._root.setAttribute('lang', locale);
    else this._root.removeAttribute('lang');
  }

  // Loaded in a moment, like Stripe's iframe: loaderstart, then ready.
  _afterMount(container) {
    Promise.resolve().then(() => {
      if (this._container !== container) return; // unmounted meanwhile
      this._emit('loaderstart', this._event());
      this._emit('ready', this._readyEvent());
    });
  }

  _readyEvent() {
    return this._event();
  }

  _optionsChanged() {}

  // The group's options (appearance, locale, amount) or its elements changed.
  _groupUpdated() {
    this._applyGroupOptions();
  }

  _isEmpty() {
    return true;
  }

  _isComplete() {
    return true;
  }

  _hasError() {
    return false;
  }

  _validateAll() {
    return null;
  }

  _setBusy(busy) {
    this._busy = busy;
  }
}

/* ------------------------------------------------------- fields of a form */

// One labelled field: a wrapper with the label, the control and its error (aria-describedby),
// as the Address and Link Authentication Elements draw them.
function renderField(prefix, spec) {
  const id = prefix + '-' + spec.key;
  const control = renderControl(id, spec);
  const label = el('label', {for: id, class: 'se-label'}, spec.label);
  const error = el('div', {id: id + '-error', class: 'se-error',
    'data-testid': spec.testid + '-error'});
  const box = el('div', {class: 'se-box' + (spec.options ? ' se-box--select' : '')}, control);
  const wrapper = el('div', {class: 'se-field' + (spec.wide ? ' se-field--wide' : '')},
    [label, box, error]);
  return {key: spec.key, wrapper: wrapper, label: label, box: box, control: control,
    error: error};
}

function renderControl(id, spec) {
  const attrs = {id: id, class: 'se-input', 'aria-describedby': id + '-error',
    'aria-invalid': 'false', 'data-testid': spec.testid};
  if (spec.autocomplete) attrs.autocomplete = spec.autocomplete;
  if (spec.options) {
    const select = el('select', attrs);
    spec.options.forEach((option) => select.appendChild(
      el('option', {value: option.value}, option.label)));
    return select;
  }
  Object.assign(attrs, {type: spec.type || 'text', spellcheck: 'false'});
  if (spec.inputmode) attrs.inputmode = spec.inputmode;
  const input = el('input', attrs);
  if (spec.maxLength) input.maxLength = spec.maxLength;
  return input;
}
