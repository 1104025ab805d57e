namespace ConvNet.Signal;

/// <summary>
/// The three output shapes of the lecture ("Three shapes of convolution"), for a signal of length M and a kernel of
/// length K per dimension.
/// </summary>
public enum ConvolutionMode
{
    /// <summary>Every overlap of f and g: length M + K − 1.</summary>
    Full = 0,

    /// <summary>The full result truncated to the signal's shape M (centered; see <see cref="SameAlignment"/>).</summary>
    Same = 1,

    /// <summary>Only positions where g lies entirely inside f: length M − K + 1.</summary>
    Valid = 2,
}
