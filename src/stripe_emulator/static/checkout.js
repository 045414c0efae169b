// The hosted Checkout page: formats card fields as they are typed and shows the total of the
// shipping option chosen; the server validates everything again. A file of its own, so that the
// page works under a Content-Security-Policy without inline scripts.
(function () {
  'use strict';

  var number = document.getElementById('card_number');
  var expiry = document.getElementById('card_expiry');
  var cvc = document.getElementById('card_cvc');

  function digits(input) { return input.value.replace(/\D/g, ''); }

  number.addEventListener('input', function () {
    var d = digits(number);
    var amex = /^3[47]/.test(d);
    d = d.slice(0, amex ? 15 : 19);
    var groups = amex ? [d.slice(0, 4), d.slice(4, 10), d.slice(10)] : d.match(/.{1,4}/g) || [];
    number.value = groups.filter(Boolean).join(' ');
    cvc.maxLength = amex ? 4 : 3;
  });

  // "MM / YY"; the separator only appears while typing forward so backspace works.
  expiry.addEventListener('input', function (event) {
    var forward = !event.inputType || event.inputType.indexOf('insert') === 0;
    var d = digits(expiry);
    if (forward && /^[2-9]$/.test(d)) d = '0' + d;
    d = d.slice(0, 4);
    expiry.value = d.length > 2 ? d.slice(0, 2) + ' / ' + d.slice(2)
      : (d.length === 2 && forward ? d + ' / ' : d);
  });

  cvc.addEventListener('input', function () { cvc.value = digits(cvc).slice(0, 4); });

  // The amounts of each option come from the server, formatted; choosing one shows them.
  function showShipping(option) {
    document.querySelectorAll('[data-total-display]').forEach(function (node) {
      node.textContent = option.dataset.total;
    });
    document.querySelectorAll('[data-shipping-amount]').forEach(function (node) {
      node.textContent = option.dataset.shipping;
    });
  }
  document.querySelectorAll('input[name=shipping_rate]').forEach(function (option) {
    option.addEventListener('change', function () { if (option.checked) showShipping(option); });
  });

  // One payment per click: a second submit while the first is in flight would pay twice.
  document.getElementById('checkout-form').addEventListener('submit', function (event) {
    var button = event.target.querySelector('[type=submit]');
    button.disabled = true;
    button.textContent = 'Processing…';
  });
})();
