"""ASK request handlers, in the order the dispatcher tries them."""
