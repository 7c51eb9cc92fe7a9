// Preloaded into servers the load generator spawns (node --expose-gc --import this file):
// SIGUSR2 runs a full garbage collection, so that memory per idle viewer counts what a server
// retains per connection, not garbage that happens to await collection. Same for every target.
process.on('SIGUSR2', () => globalThis.gc?.());
