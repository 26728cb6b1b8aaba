// Encode images into 8 bit-plane spike trains, run a LIF layer over them, decode back.
// Run: node --conditions=@hybridspike/source --import tsx examples/encode-and-spike.ts
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import { BitPlaneEncoder, decodeBitPlane } from '@hybridspike/encoders';
import { LIF } from '@hybridspike/neurons';

await initRuntime();
const images = tf.tensor4d([0, 0.25, 0.5, 1], [1, 2, 2, 1]); // NHWC, values in [0, 1]
const encoder = new BitPlaneEncoder({ surrogate: 'fourier' });
const planes = encoder.encode(images); // [T = 8, 1, 2, 2, 1], MSB first
// Decoding is exact up to 8-bit quantisation: 0.25 becomes floor(0.25 * 255) / 255 = 63/255.
const decoded = Array.from(decodeBitPlane(planes).dataSync(), (v) => v.toFixed(3));
console.log('planes', planes.shape.join('x'), 'decoded', decoded.join(','));
const lif = new LIF({ tau: 2, vThreshold: 0.5 });
const spikes = lif.forward(planes);
console.log('LIF firing rate', lif.lastFiringRate.toFixed(3), 'spikes', tf.sum(spikes).dataSync()[0]);
