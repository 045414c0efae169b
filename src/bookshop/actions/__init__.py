"""What customers (and the shop's staff) do with orders: each action calls Stripe outside any
database transaction, then records the outcome through the orders domain and commits."""
