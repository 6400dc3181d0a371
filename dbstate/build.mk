# dbstate build fragment
