# gmm build fragment
