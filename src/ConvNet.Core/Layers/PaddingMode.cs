namespace ConvNet.Layers;

/// <summary>How a convolution layer pads its input; see <see cref="Padding"/>.</summary>
public enum PaddingMode
{
    /// <summary>No padding.</summary>
    Valid = 0,

    /// <summary>Output size ⌈L / stride⌉.</summary>
    Same = 1,

    /// <summary>k_e − 1 zeros on each side.</summary>
    Full = 2,

    /// <summary>Given (before, after) amounts per dimension.</summary>
    Explicit = 3,
}
