export { startLambdaInvoke, type InvokeHandler, type LambdaInvokeOptions } from './server.js';
