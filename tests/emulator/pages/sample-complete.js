// Reads the PaymentIntent named in the return URL through Stripe.js and shows how it went.
const stripe = Stripe(document.body.dataset.publishableKey);

const MESSAGES = {
  succeeded: 'Payment succeeded',
  processing: 'Your payment is processing.',
  requires_payment_method: 'Your payment was not successful, please try again.',
};

checkStatus();

async function checkStatus() {
  const clientSecret = new URLSearchParams(window.location.search)
    .get('payment_intent_client_secret');
  const heading = document.querySelector('#status-text');
  if (!clientSecret) {
    heading.textContent = 'No payment to show.';
    return;
  }
  const {paymentIntent, error} = await stripe.retrievePaymentIntent(clientSecret);
  if (error) {
    heading.textContent = error.message;
    return;
  }
  heading.textContent = MESSAGES[paymentIntent.status] || 'Something went wrong.';
  document.querySelector('[data-testid=status]').textContent = paymentIntent.status;
  document.querySelector('[data-testid=intent-id]').textContent = paymentIntent.id;
}
