# kernel build fragment
