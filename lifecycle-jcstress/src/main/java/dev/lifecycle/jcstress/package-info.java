/** jcstress tests of the admission protocol of {@link dev.lifecycle.core.InflightTracker}. */
package dev.lifecycle.jcstress;
