# arch/x86_64 build fragment
