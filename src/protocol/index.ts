export * from './frame-header.js';
export * from './jpeg-size.js';
export * from './room-name.js';
export * from './codes.js';
export * from './messages.js';
export * from './auto-quality.js';
export * from './display-name.js';
