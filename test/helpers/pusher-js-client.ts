import PusherJsModule from 'pusher-js';

// pusher-js is CommonJS and its module.exports is the client class, while its type declarations
// describe an ES module with a default export; this is the class, typed as such.
export const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;
export type PusherJs = InstanceType<typeof PusherJs>;

/** The same class as laravel-echo's `Pusher` option expects it (typed as the module, as Echo declares it). */
export { PusherJsModule };
