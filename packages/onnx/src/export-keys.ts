/** metadata_props key of the debug spike outputs' `[{ path, name }]` (JSON), set with `debugSpikes`. */
export const SPIKE_OUTPUTS_KEY = 'hybridspike.spike_outputs';
