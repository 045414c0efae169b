/* ------------------------------------------------------- Address Element */

// Countries the Address Element offers (ISO 3166-1 alpha-2, as Stripe's country list).
const COUNTRY_CODES = ('AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE BF BG BH BI ' +
  'BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CD CF CG CH CI CK CL CM CN CO CR CV CW CY CZ DE ' +
  'DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ ' +
  'GR GS GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN ' +
  'KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT ' +
  'PY QA RE RO RS RU RW SA SB SC SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TA TC TD TF ' +
  'TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ' +
  'ZM ZW').split(' ');

// Calling codes, to give a phone number typed without one its E.164 form.
const CALLING_CODES = {US: '1', CA: '1', GB: '44', SG: '65', AU: '61', NZ: '64', IE: '353',
  DE: '49', FR: '33', NL: '31', ES: '34', IT: '39', JP: '81', HK: '852', MY: '60', IN: '91'};

// "CA California|NY New York" as select options: the code, then the name.
function namedList(text) {
  return text.split('|').map((pair) => {
    const space = pair.indexOf(' ');
    return {value: pair.slice(0, space), label: pair.slice(space + 1)};
  });
}

const US_STATES = namedList('AL Alabama|AK Alaska|AS American Samoa|AZ Arizona|AR Arkansas|' +
  'CA California|CO Colorado|CT Connecticut|DE Delaware|DC District of Columbia|FL Florida|' +
  'GA Georgia|GU Guam|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|' +
  'KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|' +
  'MS Mississippi|MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|' +
  'NJ New Jersey|NM New Mexico|NY New York|NC North Carolina|ND North Dakota|' +
  'MP Northern Mariana Islands|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|PR Puerto Rico|' +
  'RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|' +
  'VT Vermont|VI U.S. Virgin Islands|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|' +
  'WY Wyoming');
const CA_PROVINCES = namedList('AB Alberta|BC British Columbia|MB Manitoba|NB New Brunswick|' +
  'NL Newfoundland and Labrador|NT Northwest Territories|NS Nova Scotia|NU Nunavut|' +
  'ON Ontario|PE Prince Edward Island|QC Quebec|SK Saskatchewan|YT Yukon');
const AU_STATES = namedList('ACT Australian Capital Territory|NSW New South Wales|' +
  'NT Northern Territory|QLD Queensland|SA South Australia|TAS Tasmania|VIC Victoria|' +
  'WA Western Australia');

// How each country writes an address: which parts it has, what they are called, which are
// required, and the form of its postal code. A null label means the country has no such part.
const DEFAULT_FORMAT = {
  city: 'City', cityRequired: true,
  state: 'State, county, province, or region', stateRequired: false, states: null,
  postal: 'Postal code', postalRequired: false, postalPattern: null,
};
const ADDRESS_FORMATS = {
  US: {state: 'State', stateRequired: true, states: US_STATES, postal: 'ZIP',
    postalRequired: true, postalPattern: /^\d{5}(-\d{4})?$/},
  CA: {state: 'Province', stateRequired: true, states: CA_PROVINCES, postalRequired: true,
    postalPattern: /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/i},
  AU: {city: 'Suburb', state: 'State', stateRequired: true, states: AU_STATES,
    postal: 'Postcode', postalRequired: true, postalPattern: /^\d{4}$/},
  GB: {city: 'Town or city', state: null, postal: 'Postcode', postalRequired: true,
    postalPattern: /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i},
  IE: {city: 'Town or city', state: 'County', postal: 'Eircode'},
  SG: {city: null, cityRequired: false, state: null, postalRequired: true,
    postalPattern: /^\d{6}$/},
  HK: {city: 'Area', state: null, postal: null},
  DE: {state: null, postalRequired: true, postalPattern: /^\d{5}$/},
  FR: {state: null, postalRequired: true, postalPattern: /^\d{5}$/},
  NL: {state: null, postalRequired: true, postalPattern: /^\d{4} ?[A-Z]{2}$/i},
};

function addressFormat(country) {
  return Object.assign({}, DEFAULT_FORMAT, ADDRESS_FORMATS[country]);
}

const regionNames = typeof Intl === 'object' && Intl.DisplayNames
  ? new Intl.DisplayNames(['en'], {type: 'region'}) : null;

function countryName(code) {
  try {
    return (regionNames && regionNames.of(code)) || code;
  } catch (err) {
    return code;
  }
}

// "Your ZIP is incomplete.", "Your postal code is invalid.": the field's own name, as Stripe.
function fieldMessage(label, problem) {
  const noun = label === 'ZIP' ? label : label.toLowerCase();
  return 'Your ' + noun + ' is ' + problem + '.';
}

const ADDRESS_CODES = {name: 'name', firstName: 'first_name', lastName: 'last_name',
  line1: 'address_line1', city: 'city', state: 'state', postal_code: 'zip', phone: 'phone'};

// The text fields in display order; country and the state's select are built apart.
const ADDRESS_FIELDS = [
  {key: 'name', testid: 'address-name', autocomplete: 'name', row: 'name'},
  {key: 'firstName', testid: 'address-first-name', autocomplete: 'given-name', row: 'name'},
  {key: 'lastName', testid: 'address-last-name', autocomplete: 'family-name', row: 'name'},
  {key: 'country', testid: 'address-country', autocomplete: 'country'},
  {key: 'line1', testid: 'address-line1', autocomplete: 'address-line1'},
  {key: 'line2', testid: 'address-line2', autocomplete: 'address-line2'},
  {key: 'city', testid: 'address-city', autocomplete: 'address-level2', row: 'locality'},
  {key: 'state', testid: 'address-state', autocomplete: 'address-level1', row: 'locality'},
  {key: 'postal_code', testid: 'address-postal-code', autocomplete: 'postal-code',
    row: 'locality'},
  {key: 'phone', testid: 'address-phone', autocomplete: 'tel', type: 'tel'},
];

function checkChoice(value, allowed, name) {
  integration(value === undefined || allowed.indexOf(value) !== -1, 'Invalid value for ' +
    'create(): ' + name + ' should be one of the following strings: ' + allowed.join(', ') +
    '. You specified: ' + value + '.');
}

function checkAddressOptions(options) {
  checkChoice(options.mode, ['shipping', 'billing'], 'mode');
  integration(options.mode !== undefined, 'Invalid value for create(): mode should be one of ' +
    'the following strings: shipping, billing. You specified: undefined.');
  checkChoice((options.fields || {}).phone, ['always', 'never', 'auto'], 'fields.phone');
  const phone = (options.validation || {}).phone || {};
  checkChoice(phone.required, ['always', 'never', 'auto'], 'validation.phone.required');
  checkChoice((options.display || {}).name, ['full', 'split', 'organization'], 'display.name');
  integration(options.allowedCountries === undefined || options.allowedCountries === null ||
    Array.isArray(options.allowedCountries), 'Invalid value for create(): allowedCountries ' +
    'should be an array of two-letter country codes.');
}

class AddressElement extends BaseElement {
  constructor(group, options) {
    checkAddressOptions(options);
    super(group, 'address', options);
    this._showing = {}; // field key -> its error is on display
    this._render();
    this._fillDefaults(this._options.defaultValues || {});
    this._layout();
  }

  /* --- public API (StripeAddressElement) --- */

  // Shows the errors of what is missing, as Stripe does, and resolves the value.
  getValue() {
    this._assertAlive();
    this._validateAll();
    return Promise.resolve({complete: this._isComplete(), isNewAddress: false,
      value: this._value()});
  }

  clear() {
    this._assertAlive();
    Object.keys(this._controls_).forEach((key) => {
      if (key !== 'country') this._controls_[key].value = '';
    });
    this._showing = {};
    this._refreshState();
    this._emitChange();
  }

  /* --- internals used by the Elements group and by confirmPayment --- */

  _validateAll() {
    this._visibleKeys().forEach((key) => { this._showing[key] = true; });
    this._refreshState();
    const first = this._firstProblem();
    return first ? {type: 'validation_error', code: first.code, message: first.message} : null;
  }

  // {name, phone, address} for confirm: the PaymentIntent's shipping or the billing details.
  _details() {
    const value = this._value();
    const address = {};
    Object.keys(value.address).forEach((key) => {
      if (value.address[key]) address[key] = value.address[key];
    });
    const details = {name: value.name, address: address};
    if (value.phone) details.phone = value.phone;
    return details;
  }

  _setBusy(busy) {
    this._busy = busy;
    this._applyState();
  }

  /* --- rendering --- */

  _render() {
    const prefix = idPrefix();
    this._root = el('div', {class: 'se-element se-address', 'data-testid': 'address-element',
      'data-mode': this._options.mode});
    this._fields = {};
    this._controls_ = {};
    const rows = {};
    ADDRESS_FIELDS.forEach((spec) => {
      const field = spec.key === 'country'
        ? renderField(prefix, Object.assign({label: 'Country or region', options: []}, spec))
        : renderField(prefix, Object.assign({label: ''}, spec));
      this._fields[spec.key] = field;
      this._controls_[spec.key] = field.control;
      this._listenTo(spec.key, field.control);
      if (!spec.row) {
        this._root.appendChild(field.wrapper);
        return;
      }
      if (!rows[spec.row]) {
        rows[spec.row] = el('div', {class: 'se-row'});
        this._root.appendChild(rows[spec.row]);
      }
      rows[spec.row].appendChild(field.wrapper);
    });
    this._prefix = prefix;
    this._stateChoices = null; // the list the state's select shows, or null for a text input
    this._fillCountries();
    // One live region for the element's message, so screen readers announce it once.
    this._summary = el('div', {class: 'se-sr', role: 'alert', 'data-testid': 'address-error'});
    this._root.appendChild(this._summary);
    this._listenForFocus();
  }

  // A select reports a choice once, through "change"; a text input through "input".
  _listenTo(key, control) {
    if (control.tagName === 'SELECT') {
      const onChoice = key === 'country' ? () => this._onCountryChange() : () => this._onInput(key);
      control.addEventListener('change', onChoice);
    } else {
      control.addEventListener('input', () => this._onInput(key));
    }
    control.addEventListener('blur', () => this._onFieldBlur(key));
  }

  _allowedCountries() {
    const wanted = (this._options.allowedCountries || [])
      .map((code) => String(code).toUpperCase())
      .filter((code) => COUNTRY_CODES.indexOf(code) !== -1);
    return wanted.length ? wanted : COUNTRY_CODES;
  }

  _fillCountries() {
    const select = this._controls_.country;
    const current = select.value;
    const allowed = this._allowedCountries();
    select.replaceChildren.apply(select, allowed
      .map((code) => ({value: code, label: countryName(code)}))
      .sort((a, b) => a.label.localeCompare(b.label))
      .map((option) => el('option', {value: option.value}, option.label)));
    const preferred = [current, 'US', allowed[0]].find((code) => allowed.indexOf(code) !== -1);
    select.value = preferred;
  }

  _fillDefaults(defaults) {
    const address = defaults.address || {};
    const country = String(address.country || '').toUpperCase();
    if (this._allowedCountries().indexOf(country) !== -1) this._controls_.country.value = country;
    this._layout();
    const values = {name: defaults.name, firstName: defaults.firstName,
      lastName: defaults.lastName, line1: address.line1, line2: address.line2,
      city: address.city, state: address.state, postal_code: address.postal_code,
      phone: defaults.phone};
    Object.keys(values).forEach((key) => {
      if (values[key] !== undefined && values[key] !== null) this._setValue(key, values[key]);
    });
    if (defaults.name && !defaults.firstName && !defaults.lastName) {
      const parts = String(defaults.name).trim().split(/\s+/);
      this._setValue('lastName', parts.length > 1 ? parts.pop() : '');
      this._setValue('firstName', parts.join(' '));
    }
  }

  _setValue(key, value) {
    const control = this._controls_[key];
    const text = String(value);
    if (control.tagName !== 'SELECT') {
      control.value = text;
      return;
    }
    // A state given by its name or code selects its option.
    const match = Array.from(control.options).find((option) => option.value === text ||
      option.textContent.toLowerCase() === text.toLowerCase());
    control.value = match ? match.value : '';
  }

  // Labels, visibility and required marks for the chosen country and the options.
  _layout() {
    const format = addressFormat(this._controls_.country.value);
    const mode = this._options.mode;
    const nameDisplay = (this._options.display || {}).name || 'full';
    const phoneShown = (this._options.fields || {}).phone === 'always';
    const setup = {
      name: {label: nameDisplay === 'organization' ? 'Organization name' : 'Full name',
        shown: nameDisplay !== 'split', required: true,
        autocomplete: nameDisplay === 'organization' ? 'organization' : 'name'},
      firstName: {label: 'First name', shown: nameDisplay === 'split', required: true},
      lastName: {label: 'Last name', shown: nameDisplay === 'split', required: true},
      country: {label: 'Country or region', shown: true, required: true},
      line1: {label: 'Address line 1', shown: true, required: true},
      line2: {label: 'Address line 2', shown: true, required: false},
      city: {label: format.city, shown: Boolean(format.city), required: format.cityRequired},
      state: {label: format.state, shown: Boolean(format.state),
        required: format.stateRequired},
      postal_code: {label: format.postal, shown: Boolean(format.postal),
        required: format.postalRequired},
      phone: {label: 'Phone number', shown: phoneShown, required: this._phoneRequired()},
    };
    this._setStateControl(format.states);
    this._setup = setup;
    ADDRESS_FIELDS.forEach((spec) => {
      const field = this._fields[spec.key];
      const part = setup[spec.key];
      field.wrapper.hidden = !part.shown;
      field.label.textContent = part.label || '';
      if (!part.required) {
        field.label.appendChild(el('span', {class: 'se-optional'}, ' (optional)'));
      }
      const control = this._controls_[spec.key];
      control.setAttribute('aria-required', String(part.required));
      control.setAttribute('autocomplete', mode + ' ' + (part.autocomplete || spec.autocomplete));
    });
    this._applyState();
  }

  // The state is a select where the country has a fixed list, a text input elsewhere.
  _setStateControl(choices) {
    if (choices === this._stateChoices) return;
    this._stateChoices = choices;
    const field = this._fields.state;
    const spec = ADDRESS_FIELDS.find((item) => item.key === 'state');
    const options = choices ? [{value: '', label: ''}].concat(choices) : null;
    const control = renderControl(this._prefix + '-state', Object.assign({options: options},
      spec));
    field.control.replaceWith(control);
    field.control = control;
    field.box.classList.toggle('se-box--select', Boolean(choices));
    this._controls_.state = control;
    this._listenTo('state', control);
  }

  _phoneRequired() {
    const rule = ((this._options.validation || {}).phone || {}).required;
    return rule === 'always' && (this._options.fields || {}).phone === 'always';
  }

  _applyState() {
    const locked = Boolean(this._options.readOnly) || this._busy;
    Object.keys(this._controls_).forEach((key) => {
      const control = this._controls_[key];
      if (control.tagName === 'SELECT') control.disabled = locked;
      else control.readOnly = locked;
    });
    this._root.setAttribute('aria-busy', String(this._busy));
    this._refreshState();
  }

  _optionsChanged() {
    this._fillCountries();
    this._layout();
    this._refreshState();
  }

  /* --- state --- */

  _visibleKeys() {
    return ADDRESS_FIELDS.map((spec) => spec.key)
      .filter((key) => this._setup[key].shown && key !== 'country');
  }

  _text(key) {
    return this._controls_[key].value.trim();
  }

  // A validation error code and message for a field, or null when it is fine.
  _check(key) {
    const part = this._setup[key];
    if (!part.shown || key === 'country') return null;
    const text = this._text(key);
    const code = ADDRESS_CODES[key];
    const label = key === 'phone' ? 'phone number' : (key === 'line1' ? 'address' : part.label);
    if (text === '') {
      if (!part.required) return null;
      return {code: 'incomplete_' + code, message: fieldMessage(label, 'incomplete')};
    }
    const format = addressFormat(this._controls_.country.value);
    const invalid = (key === 'postal_code' && format.postalPattern &&
      !format.postalPattern.test(text)) || (key === 'phone' && !this._phoneValid(text));
    return invalid ? {code: 'invalid_' + code, message: fieldMessage(label, 'invalid')} : null;
  }

  _phoneValid(text) {
    if (/[^\d\s()+.-]/.test(text) || text.lastIndexOf('+') > 0) return false;
    const digits = digitsOf(text).length;
    return text[0] === '+' ? digits >= 8 && digits <= 15 : digits >= 7 && digits <= 14;
  }

  // E.164 where the calling code is known: "+6591234567".
  _phoneValue(text) {
    if (text === '') return '';
    if (text[0] === '+') return '+' + digitsOf(text);
    const calling = CALLING_CODES[this._controls_.country.value];
    const digits = digitsOf(text).replace(/^0+/, '');
    return calling ? '+' + calling + digits : digitsOf(text);
  }

  _firstProblem() {
    return this._visibleKeys().map((key) => this._check(key)).find(Boolean) || null;
  }

  _isComplete() {
    return !this._firstProblem();
  }

  _isEmpty() {
    return this._visibleKeys().every((key) => this._text(key) === '');
  }

  _hasError() {
    return this._summary.textContent !== '';
  }

  _value() {
    const split = !this._setup.name.shown;
    const shown = (key) => (this._setup[key].shown ? this._text(key) : '');
    const first = shown('firstName');
    const last = shown('lastName');
    const country = this._controls_.country.value;
    const postal = shown('postal_code');
    const value = {
      name: split ? [first, last].filter(Boolean).join(' ') : shown('name'),
      address: {
        line1: shown('line1'),
        line2: shown('line2') || null,
        city: shown('city'),
        state: shown('state'),
        postal_code: ['GB', 'CA', 'NL'].indexOf(country) !== -1 ? postal.toUpperCase() : postal,
        country: country,
      },
    };
    if (split) Object.assign(value, {firstName: first, lastName: last});
    if (this._setup.phone.shown) value.phone = this._phoneValue(this._text('phone'));
    return value;
  }

  /* --- events --- */

  // Errors already on display follow the value; new ones wait for blur, submit or getValue.
  _onInput(key) {
    this._showing[key] = Boolean(this._showing[key] && this._check(key));
    this._refreshState();
    this._emitChange();
  }

  _onFieldBlur(key) {
    afterPointerRelease(() => {
      if (this._destroyed || this._text(key) === '' || !this._check(key)) return;
      this._showing[key] = true;
      this._refreshState();
    });
  }

  _onCountryChange() {
    this._layout();
    this._refreshState();
    this._emitChange();
  }

  // Paints each field's error, the summary and the container's classes.
  _refreshState() {
    let firstMessage = '';
    ADDRESS_FIELDS.forEach((spec) => {
      const problem = this._showing[spec.key] ? this._check(spec.key) : null;
      if (!problem) this._showing[spec.key] = false;
      const message = problem ? problem.message : '';
      this._fields[spec.key].error.textContent = message;
      this._controls_[spec.key].setAttribute('aria-invalid', String(Boolean(problem)));
      firstMessage = firstMessage || message;
    });
    this._summary.textContent = firstMessage;
    this._refreshContainer();
  }

  _emitChange() {
    this._emit('change', this._event({elementMode: this._options.mode, empty: this._isEmpty(),
      complete: this._isComplete(), isNewAddress: false, value: this._value()}));
  }
}
