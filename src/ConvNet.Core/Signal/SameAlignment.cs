namespace ConvNet.Signal;

/// <summary>
/// Where a <see cref="ConvolutionMode.Same"/> result is cut from the full result. The two conventions agree for odd
/// kernel sizes and differ by one element for even ones.
/// </summary>
public enum SameAlignment
{
    /// <summary>
    /// <c>scipy.signal.convolve(..., 'same')</c>: the cut starts at (K − 1) // 2 in the full result. The default.
    /// Example: f = [0,1,2,−1,3], g = [1,2,3,4] gives [1,4,6,11,11].
    /// </summary>
    SciPy = 0,

    /// <summary>
    /// MATLAB/Octave <c>conv2(..., 'same')</c>: the cut starts at floor(K / 2), one element later for even K.
    /// Example: f = [0,1,2,−1,3], g = [1,2,3,4] gives [4,6,11,11,5].
    /// </summary>
    Matlab = 1,
}
