using ConvNet.Data;

namespace ConvNet.Samples.Browser.Data;

/// <summary>The Fashion-MNIST class names.</summary>
public static class ClassNames
{
    /// <summary>The name of a class index.</summary>
    /// <param name="label">0–9.</param>
    /// <returns>Its name.</returns>
    public static string Of(int label) => (uint)label < (uint)FashionMnist.ClassNames.Length ? FashionMnist.ClassNames[label] : $"class {label}";
}
