# Thin wrappers around ./dev, which needs nothing but bash.
.PHONY: run test setup
run:
	./dev run
test:
	./dev test
setup:
	./dev setup
