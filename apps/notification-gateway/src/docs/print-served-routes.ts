// Prints the gateway's served routes as JSON (the route-table test runs it: Jest cannot load Nest's
// CommonJS modules that require its ES modules, Node can).
import { servedRoutes } from './served-routes.js';

console.log(JSON.stringify(servedRoutes()));
