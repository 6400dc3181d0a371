# monitors build fragment
