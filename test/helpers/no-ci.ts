import { isCiMarker } from '../../source/ci-markers.js';

// Ink draws nothing but its last frame where CI is set (is-in-ci, read when Ink loads), and CI
// runs the tests with CI=true: the panel's tests must see every frame, as a user's terminal does.
for (const name of Object.keys(process.env)) if (isCiMarker(name)) delete process.env[name];
