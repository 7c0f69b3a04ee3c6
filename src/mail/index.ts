/** The mail module's public face: templates (pure), transports, and sending a digest. */
export * from './templates/digest.template.js';
export * from './transports.js';
export * from './send-digest.js';
