"""Laboratory: the test catalogue, orders, specimens, results and their follow-up."""
